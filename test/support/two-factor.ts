import * as oidc from 'openid-client';
import { expect } from 'chai';
import { Browser, findForm } from './browser.ts';
import type { RegisteredTestClient } from './relying-party.ts';
import type { Page } from './sign-in-pages.ts';
import { totpCodeAt } from '../../src/factors/totp.ts';
import type { Container } from '../../src/app/container.ts';

/** a sign-in in progress: the browser, the page it shows, and what the token exchange needs */
export interface Flow {
  browser: Browser;
  page: Page;
  codeVerifier: string;
  state: string;
  nonce: string;
}

/**
 * Authorization request with PKCE, then (when the sign-in page shows) email and password;
 * stops at whatever page comes next (second factor, enrollment, or the redirect back).
 */
export async function startFlow(
  config: oidc.Configuration,
  client: RegisteredTestClient,
  credentials: { email: string; password: string } | undefined,
  options: { browser?: Browser; extra?: Record<string, string> } = {},
): Promise<Flow> {
  const browser = options.browser ?? new Browser(new URL(config.serverMetadata().issuer).origin);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...options.extra,
  });
  let page = await go(browser, url.toString());
  if (credentials && page.html.includes('autocomplete="current-password"')) {
    page = await post(browser, page, '/login', { email: credentials.email, password: credentials.password });
  }
  return { browser, page, codeVerifier, state, nonce };
}

async function go(browser: Browser, url: string, form?: Record<string, string>): Promise<Page> {
  const { res, url: at, html } = await browser.navigate(url, form ? { form } : {});
  return { status: res.status, url: at, html };
}

/** submits the form whose action contains `actionPart`, with these fields over its own */
export async function post(browser: Browser, page: Page, actionPart: string, fields: Record<string, string> = {}): Promise<Page> {
  const form = findForm(page.html, actionPart);
  return go(browser, form.action, { ...form.fields, ...fields });
}

/** follows the page's link whose (decoded) href contains `hrefPart`, e.g. "factor=recovery" */
export async function follow(browser: Browser, page: Page, hrefPart: string): Promise<Page> {
  const hrefs = [...page.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));
  const href = hrefs.find((h) => h.includes(hrefPart));
  if (!href) throw new Error(`no link to ${hrefPart} on the page:\n${page.html.slice(0, 1500)}`);
  return go(browser, href);
}

/** the page is the redirect back to the application: exchange its code, return the ID token claims */
export async function finishFlow(config: oidc.Configuration, client: RegisteredTestClient, flow: Flow, page: Page = flow.page) {
  expect(page.url, `expected the redirect back, got ${page.status}: ${page.html.slice(0, 1500)}`).to.match(
    new RegExp(`^${client.redirectUri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), {
    pkceCodeVerifier: flow.codeVerifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
    idTokenExpected: true,
  });
  return { tokens, claims: tokens.claims()! };
}

/** the text of an element with this id, tags stripped */
export function textOf(html: string, id: string): string {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(code|ol|div|p)>`).exec(html);
  return (match?.[1] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** the recovery codes a page shows once */
export function recoveryCodesOn(html: string): string[] {
  return [...html.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]!);
}

export function noticeText(html: string): string {
  return (/<div class="notice"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').replace(/\s+/g, ' ').trim();
}

/** a six-digit code (one of `candidates`) that no window the server accepts at `now` (±1 step) produces */
export async function wrongTotpCode(secret: string, now: number, candidates = ['000000', '111111', '222222', '333333']): Promise<string> {
  const accepted = await Promise.all([-30_000, 0, 30_000].map((skew) => totpCodeAt(secret, now + skew)));
  return candidates.find((c) => !accepted.includes(c))!;
}

/**
 * Gives the fixture's user a confirmed authenticator app straight through the factor service
 * (for tests about what comes after enrollment); returns its secret and the user id.
 */
export async function enrollTotpDirectly(container: Container, tenantName: string, email: string, now: number): Promise<{ secret: string; userId: string }> {
  const tenant = await container.tenants.getByName(tenantName);
  const user = await container.users.findByEmail(tenant.id, email);
  if (!user) throw new Error(`no user ${email} in ${tenantName}`);
  const totp = await container.factors.startTotp(user.id, { accountName: email });
  if (!(await container.factors.confirmTotp(user.id, totp.factorId, await totpCodeAt(totp.secret, now)))) throw new Error('TOTP enrollment was not confirmed');
  return { secret: totp.secret, userId: user.id };
}
