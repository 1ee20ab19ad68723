import * as oidc from 'openid-client';
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { RegisteredTestClient } from '../../support/relying-party.ts';
import type { Fixture } from '../../support/fixture.ts';

/**
 * The relying application's side of a browser sign-in: an authorization request with PKCE that
 * the browser opens, and the redirect back to the application's redirect_uri (a small local web
 * server), which the browser really follows; the application then exchanges the code with
 * openid-client.
 */
export interface BrowserSignIn {
  url: string;
  /** waits for the browser to arrive back at the application, exchanges the code, returns the ID token's claims */
  finish(): Promise<oidc.IDToken>;
}

/** the relying application's own web server: its redirect_uri answers with a plain page */
export interface ApplicationServer {
  origin: string;
  close(): Promise<void>;
}

export async function startApplicationServer(): Promise<ApplicationServer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><head><title>Application</title></head><body><main><h1>Back at the application</h1></main></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** a web application of the fixture's tenant that redirects back to `server` */
export async function registerApplication(f: Fixture, server: ApplicationServer): Promise<RegisteredTestClient> {
  const tenant = await f.server.container.tenants.getByName(f.tenant);
  const redirectUri = `${server.origin}/callback`;
  const app = await f.server.container.clients.create({
    tenantId: tenant.id,
    name: 'Browser app',
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [`${server.origin}/bye`],
    grants: ['authorization_code', 'refresh_token'],
  });
  return { clientId: app.clientId, clientSecret: String(app.clientSecret), redirectUri };
}

export async function authorizationRequest(
  page: Page,
  config: oidc.Configuration,
  client: RegisteredTestClient,
  extra: Record<string, string> = {},
): Promise<BrowserSignIn> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc
    .buildAuthorizationUrl(config, {
      redirect_uri: client.redirectUri,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    })
    .toString();
  return {
    url,
    async finish() {
      await page
        .waitForURL((u) => u.toString().startsWith(client.redirectUri), { timeout: 15_000 })
        .catch(async (err: Error) => {
          // say where the browser stopped instead of only that it never arrived
          const shown = await page
            .locator('main')
            .textContent()
            .then((text) => text ?? '')
            .catch(() => '');
          throw new Error(`the browser stayed at ${page.url()}: ${shown.replace(/\s+/g, ' ').slice(0, 500)}`, { cause: err });
        });
      const back = new URL(page.url());
      expect(back.searchParams.get('error'), back.searchParams.get('error_description') ?? '').to.equal(null);
      const tokens = await oidc.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      return tokens.claims()!;
    },
  };
}

/** types the email and password into the hosted sign-in page and sends it with the Enter key */
export async function fillSignIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email address').fill(user.email);
  const password = page.getByLabel('Password', { exact: true });
  await password.fill(user.password);
  await password.press('Enter');
  await page.waitForLoadState('load');
}
