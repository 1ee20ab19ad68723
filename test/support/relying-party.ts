import * as oidc from 'openid-client';
import { expect } from 'chai';
import { Browser, findForm } from './browser.ts';

export interface RegisteredTestClient {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}

/** An openid-client Configuration for a Latchkey on plain http (tests only). */
export async function discover(issuer: string, client: RegisteredTestClient): Promise<oidc.Configuration> {
  const auth = client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None();
  return oidc.discovery(new URL(issuer), client.clientId, client.clientSecret ? {} : { token_endpoint_auth_method: 'none' }, auth, {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface SignInResult {
  callbackUrl: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
  browser: Browser;
}

/**
 * The whole front channel: authorization request with PKCE -> hosted sign-in form ->
 * password -> redirect back with a code (not yet exchanged).
 */
export async function signIn(
  config: oidc.Configuration,
  client: RegisteredTestClient,
  credentials: { email: string; password: string },
  options: { browser?: Browser; scope?: string; extra?: Record<string, string> } = {},
): Promise<SignInResult> {
  const issuer = new URL(config.serverMetadata().issuer);
  const browser = options.browser ?? new Browser(issuer.origin);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: options.scope ?? 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extra,
  });
  let page = await browser.navigate(authUrl.toString());
  if (page.html) {
    expect(page.res.status, page.html.slice(0, 500)).to.equal(200);
    const form = findForm(page.html, '/login');
    page = await browser.navigate(form.action, { form: { ...form.fields, email: credentials.email, password: credentials.password } });
  }
  if (page.html?.includes('/consent')) {
    const form = findForm(page.html, '/consent');
    page = await browser.navigate(form.action, { form: { ...form.fields, decision: 'allow' } });
  }
  expect(page.url, `expected a redirect to the client, got ${page.res.status}: ${page.html.slice(0, 800)}`).to.match(
    new RegExp(`^${escapeRegExp(client.redirectUri)}`),
  );
  return { callbackUrl: new URL(page.url), codeVerifier, state, nonce, browser };
}

export async function exchange(config: oidc.Configuration, result: SignInResult) {
  return oidc.authorizationCodeGrant(config, result.callbackUrl, {
    pkceCodeVerifier: result.codeVerifier,
    expectedState: result.state,
    expectedNonce: result.nonce,
    idTokenExpected: true,
  });
}

function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
