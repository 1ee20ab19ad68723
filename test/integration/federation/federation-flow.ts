import { expect } from 'chai';
import * as oidc from 'openid-client';
import { Browser } from '../../support/browser.ts';
import { openSignIn, submit, type Page } from '../../support/sign-in-pages.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover } from '../../support/relying-party.ts';
import type { ProviderFields } from '../../../src/federation/provider-input.ts';
import type { UpstreamProvider } from '../../../src/federation/providers.ts';
import { startUpstreamProxy, type UpstreamProxy } from './upstream-proxy.ts';

/** The downstream Latchkey and the verbs its federation tests speak. */
export interface Downstream {
  f: Fixture;
  config: oidc.Configuration;
  tenantId: string;
  /** the upstream's issuer (the proxy) and the client registered there for the downstream's callback */
  upstream: { issuer: string; clientId: string; clientSecret: string };
}

/** The upstream provider: a second Latchkey (its own PostgreSQL database and Redis prefix) behind a proxy that is its issuer address. */
export interface Upstream {
  proxy: UpstreamProxy;
  up: Fixture;
  close(): Promise<void>;
}

/**
 * Starts the upstream. `host` names it in its issuer (default 127.0.0.1): a real browser keeps
 * cookies per host, not per port, so a browser test gives it another name than the downstream's.
 */
export async function startUpstream(options: { host?: string } = {}): Promise<Upstream> {
  const proxy = await startUpstreamProxy(options);
  const up = await createFixture('postgres', { env: { ISSUER: proxy.url } });
  proxy.pointAt(Number(up.server.env.PORT));
  return {
    proxy,
    up,
    async close() {
      await disposeFixture(up);
      await proxy.close();
    },
  };
}

/** registers the downstream `f` as a client of the upstream, for its federation callback */
export async function connectDownstream(upstream: Upstream, f: Fixture): Promise<Downstream> {
  const { up, proxy } = upstream;
  const registered = await up.server.container.clients.create({
    tenantId: (await up.server.container.tenants.getByName(up.tenant)).id,
    name: `Downstream ${f.tenant}`,
    redirectUris: [`${f.server.url}/federation/callback`],
    postLogoutRedirectUris: [],
    grants: ['authorization_code'],
    public: false,
    firstParty: true,
  });
  return {
    f,
    config: await discover(f.server.url, f.client),
    tenantId: (await f.server.container.tenants.getByName(f.tenant)).id,
    upstream: { issuer: proxy.url, clientId: registered.clientId, clientSecret: registered.clientSecret! },
  };
}

let counter = 0;

/** registers a provider of the downstream tenant straight through the service (the admin API has its own tests) */
export async function addProvider(d: Downstream, fields: Partial<ProviderFields> = {}): Promise<UpstreamProvider> {
  counter += 1;
  return d.f.server.container.federation.providers.create(d.tenantId, {
    slug: `up-${counter}`,
    label: `Upstream ${counter}`,
    logoUrl: null,
    issuer: d.upstream.issuer,
    clientId: d.upstream.clientId,
    clientSecret: d.upstream.clientSecret,
    scopes: ['openid', 'email', 'profile'],
    domains: [],
    exclusive: false,
    provisionRole: null,
    mfaAmr: [],
    mfaAcr: [],
    ...fields,
  });
}

export interface Journey {
  browser: Browser;
  verifier: string;
  /** the last downstream page or the redirect that left it */
  page: Page;
}

/** the downstream sign-in page, opened for the test client */
export async function begin(d: Downstream): Promise<Journey> {
  const { browser, page, verifier } = await openSignIn(d.config, d.f.client);
  expect(page.status).to.equal(200);
  return { browser, verifier, page };
}

/** presses a provider's button on the sign-in page */
export async function press(j: Journey, provider: UpstreamProvider): Promise<Page> {
  j.page = await submit(j.browser, j.page, '/federation/start', { provider: provider.id });
  return j.page;
}

/** at the upstream (its own browser): its sign-in form, and the redirect back (not followed) */
export async function signInUpstream(
  authorizeUrl: string,
  credentials: { email: string; password: string },
  upstream = new Browser(new URL(authorizeUrl).origin),
) {
  let page: Page = await navigate(upstream, authorizeUrl);
  if (credentials.email && page.html.includes('/login'))
    page = await submit(upstream, page, '/login', { email: credentials.email, password: credentials.password });
  return { upstream, page };
}

/** follows a URL in the downstream browser, same-origin redirects included */
export async function returnTo(j: Journey, url: string): Promise<Page> {
  j.page = await navigate(j.browser, url);
  return j.page;
}

export async function navigate(browser: Browser, url: string): Promise<Page> {
  const { res, url: at, html } = await browser.navigate(url);
  return { status: res.status, url: at, html };
}

/** the downstream's tokens for a journey that ended at the client's redirect URI */
export async function tokensOf(d: Downstream, j: Journey) {
  expect(
    j.page.url,
    `expected the client's redirect, got ${j.page.status}: ${/<code>([^<]*)<\/code>/.exec(j.page.html)?.[1] ?? j.page.html.slice(0, 600)}`,
  ).to.match(/^http:\/\/127\.0\.0\.1:9\/callback/);
  return oidc.authorizationCodeGrant(d.config, new URL(j.page.url), { pkceCodeVerifier: j.verifier, idTokenExpected: true });
}

/** the downstream's audit events of an action, newest first */
export async function events(d: Downstream, action: string) {
  return (await d.f.server.container.audit.list({ tenantId: d.tenantId, action, limit: 50 })).events;
}
