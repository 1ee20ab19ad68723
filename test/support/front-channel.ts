import { Browser, findForm } from './browser.ts';

/**
 * The browser's part of an authorization request built by any client library: the hosted
 * sign-in form (when the browser has no session), consent (when asked), until the browser leaves
 * the issuer (the redirect back to the application: `url`) or stops at one of its pages (`html`,
 * an error page for a refused request).
 */
export async function followAuthorization(
  issuer: string,
  authorizationUrl: string,
  credentials: { email: string; password: string },
  browser = new Browser(new URL(issuer).origin),
): Promise<{ status: number; url: string; html: string; browser: Browser }> {
  let page = await browser.navigate(authorizationUrl);
  if (page.html.includes('autocomplete="current-password"')) {
    const login = findForm(page.html, '/login');
    page = await browser.navigate(login.action, { form: { ...login.fields, email: credentials.email, password: credentials.password } });
  }
  if (/action="[^"]*\/consent"/.test(page.html)) {
    const consent = findForm(page.html, '/consent');
    page = await browser.navigate(consent.action, { form: { ...consent.fields, decision: 'allow' } });
  }
  return { status: page.res.status, url: page.url, html: page.html, browser };
}

/** what an error page says: its message (the lead paragraph) and the OAuth error code it shows */
export function errorPage(html: string): { message: string | undefined; code: string | undefined } {
  const decode = (s: string | undefined) =>
    s
      ?.replace(/&#x27;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  return {
    message: decode(/<p class="lead">([^<]*)<\/p>/.exec(html)?.[1]),
    code: /<code>([a-z_]+)<\/code>/.exec(html)?.[1],
  };
}
