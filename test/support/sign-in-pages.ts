import * as oidc from 'openid-client';
import { Browser, findForm } from './browser.ts';
import type { RegisteredTestClient } from './relying-party.ts';

export interface Page {
  status: number;
  url: string;
  html: string;
}

/** Opens the hosted sign-in page for a client in a (new) browser. */
export async function openSignIn(
  config: oidc.Configuration,
  client: RegisteredTestClient,
  browser?: Browser,
): Promise<{ browser: Browser; page: Page; verifier: string }> {
  const b = browser ?? new Browser(new URL(config.serverMetadata().issuer).origin);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const { res, url: at, html } = await b.navigate(url.toString());
  return { browser: b, page: { status: res.status, url: at, html }, verifier };
}

/** Fills the form whose action contains `actionPart` on `page` and submits it, following redirects. */
export async function submit(browser: Browser, page: Page, actionPart: string, fields: Record<string, string>): Promise<Page> {
  const form = findForm(page.html, actionPart);
  const { res, url, html } = await browser.navigate(form.action, { form: { ...form.fields, ...fields } });
  return { status: res.status, url, html };
}

export function alertText(html: string): string {
  const block = /<div class="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
  return block
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
}
