import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

/** Debian's Chromium, installed by scripts/ensure-browser.sh (playwright-core downloads no browser). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };
/** WCAG 2.1 A and AA: what the hosted pages promise */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: run scripts/ensure-browser.sh (npm test does)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * A browser context (its own cookies) that records what the pages' Content-Security-Policy
 * refused: the browser's own console report and the page's securitypolicyviolation events.
 */
export interface WatchedContext {
  context: BrowserContext;
  page: Page;
  /** every CSP violation seen so far, with the page it happened on */
  cspViolations: string[];
  /** uncaught errors in the pages' own scripts */
  pageErrors: string[];
  /** the Content-Security-Policy header of the document the page shows now */
  documentCsp(): string;
}

const REPORT_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' on ' + location.pathname);
});`;

export async function watchedContext(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; locale?: string } = {},
): Promise<WatchedContext> {
  const context = await browser.newContext({ viewport: options.viewport ?? PHONE, locale: options.locale ?? 'en-GB' });
  await context.addInitScript({ content: REPORT_VIOLATIONS });
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  context.on('console', (message) => {
    const text = message.text();
    if (/CSP violation|Content Security Policy/i.test(text)) cspViolations.push(`${message.page()?.url() ?? '?'}: ${text}`);
  });
  context.on('weberror', (error) => pageErrors.push(String(error.error())));
  const page = await context.newPage();
  let csp = '';
  page.on('response', (res) => {
    if (res.request().isNavigationRequest() && res.frame() === page.mainFrame()) csp = res.headers()['content-security-policy'] ?? '';
  });
  return { context, page, cspViolations, pageErrors, documentCsp: () => csp };
}

/**
 * What every hosted page must pass, checked on the page as it is shown now:
 * no WCAG 2.1 AA violation found by axe-core, a CSP without inline script, nothing wider than a
 * 360 px phone screen; and a screenshot at phone and desktop widths under
 * test/artifacts/screenshots/<suite>/<name>-<width>.png.
 */
export async function checkPage(watched: WatchedContext, suite: string, name: string): Promise<void> {
  const { page } = watched;
  await page.waitForLoadState('load');
  const csp = watched.documentCsp();
  expect(csp, `${name}: the page has a Content-Security-Policy`).to.be.a('string').and.not.equal('');
  const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1] ?? '';
  expect(scriptSrc, `${name}: script-src`).to.not.include("'unsafe-inline'").and.not.include("'unsafe-eval'");

  const original = page.viewportSize() ?? PHONE;
  await page.setViewportSize(PHONE);
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth'));
  expect(overflow, `${name}: nothing wider than a 360 px screen`).to.be.at.most(PHONE.width);
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  expect(results.violations.map(describeViolation), `${name}: axe-core (WCAG 2.1 AA) on ${page.url()}`).to.deep.equal([]);

  const dir = join(ARTIFACTS, suite);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}-${PHONE.width}.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(dir, `${name}-${DESKTOP.width}.png`), fullPage: true });
  await page.setViewportSize(original);
  expect(watched.cspViolations, 'CSP violations so far').to.deep.equal([]);
  expect(watched.pageErrors, 'script errors so far').to.deep.equal([]);
}

function describeViolation(v: { id: string; impact?: string | null; help: string; nodes: { target: unknown; failureSummary?: string }[] }): string {
  const nodes = v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`).join(' | ');
  return `${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${nodes}`;
}

export function artifactsDir(): string {
  return dirname(ARTIFACTS);
}
