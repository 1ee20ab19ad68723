import { expect } from 'chai';
import { Browser, findForm } from '../../support/browser.ts';
import type { Page } from '../../support/sign-in-pages.ts';
import { post } from '../../support/two-factor.ts';

export async function open(browser: Browser, path: string, form?: Record<string, string>): Promise<Page> {
  const { res, url, html } = await browser.navigate(path, form ? { form } : {});
  return { status: res.status, url, html };
}

/**
 * Signs in through the console's own entry (a fresh browser unless one is given): the entry
 * redirects to the hosted login, the password is entered there, and the browser comes back
 * through /account/callback to wherever the console sends it (a page here, or another origin).
 */
export async function consoleSignIn(origin: string, entry: string, credentials: { email: string; password: string }, browser = new Browser(origin)) {
  const login = await open(browser, entry);
  expect(login.status, login.html.slice(0, 800)).to.equal(200);
  expect(login.url).to.include('/interaction/');
  const page = await post(browser, login, '/login', { email: credentials.email, password: credentials.password });
  return { browser, page };
}

/** opens the security section with the password again */
export async function unlockSecurity(browser: Browser, password: string): Promise<Page> {
  const page = await open(browser, '/account/security');
  return post(browser, page, '/account/security/unlock', { password });
}

/** the CSRF token of the page's first form */
export function csrfOf(html: string, actionPart: string): string {
  return findForm(html, actionPart).fields.csrf!;
}

/** the message shown beside a field (its element id is `<field>-error`) */
export function fieldError(html: string, id: string): string {
  return (new RegExp(`id="${id}-error"[^>]*>([\\s\\S]*?)</(p|ul)>`).exec(html)?.[1] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** the value of the option marked selected in a select */
export function selected(html: string, id: string): string {
  const select = new RegExp(`<select id="${id}"[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
  return /<option value="([^"]*)"[^>]*selected/.exec(select)?.[1] ?? '';
}

/** the handles of the listed sessions, this browser's flagged */
export function sessionsOn(html: string): { handle: string; current: boolean; text: string }[] {
  return [...html.matchAll(/<li class="factor" data-session="([^"]+)">([\s\S]*?)<\/li>/g)].map((m) => ({
    handle: m[1]!,
    current: m[2]!.includes('this browser'),
    text: m[2]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  }));
}
