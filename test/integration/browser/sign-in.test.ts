import { expect } from 'chai';
import type * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { movableClock, type Fixture } from '../../support/fixture.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { linkIn } from '../../support/outbox.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { authorizationRequest } from './relying-app.ts';
import type { RegisteredTestClient } from '../../support/relying-party.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'sign-in';
const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] ?? '';

/**
 * Real Chromium through the hosted pages, as a user of a relying application: the browser
 * follows every redirect, types with the keyboard, and each page it meets passes axe-core
 * (WCAG 2.1 AA) and the CSP check, with screenshots at phone and desktop widths.
 */
describe('browser: sign-in for a relying application', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let browser: Browser;
  let stand: DeliveryStandIns;
  let f: Fixture;
  let config: oidc.Configuration;
  const clock = movableClock();
  const bob = { email: 'bob@example.com', password: 'plum orchard ladder seventeen' };
  const carol = { email: 'carol@example.com', password: 'granite meadow whistle ninety' };
  let alice: WatchedContext;
  let app: RegisteredTestClient;
  const subjectOf = async (email: string) => (await f.server.container.users.findByEmail((await f.server.container.tenants.getByName(f.tenant)).id, email))!.id;

  before(async () => {
    stand = await startDeliveryStandIns();
    world = await startBrowserWorld({ clock, env: stand.env });
    ({ browser, f, app, config } = world);
    const { tenants, users } = f.server.container;
    const tenant = await tenants.getByName(f.tenant);
    await tenants.updatePolicy(tenant.id, { mfa: { mode: 'always', factors: ['totp', 'email'] } });
    for (const u of [bob, carol]) await users.create({ tenantId: tenant.id, email: u.email, password: u.password });
  });
  after(async () => {
    await stopBrowserWorld(world);
    await stand?.close();
  });

  /** the sign-in page of a new authorization request, filled in and sent with the Enter key */
  async function signInWithPassword(w: WatchedContext, user: { email: string; password: string }, name: string, extra: Record<string, string> = {}) {
    const request = await authorizationRequest(w.page, config, app, extra);
    await w.page.goto(request.url);
    await checkPage(w, SUITE, name);
    const email = w.page.getByLabel('Email address');
    const password = w.page.getByLabel('Password', { exact: true });
    expect(await email.getAttribute('autocomplete')).to.equal('username');
    expect(await password.getAttribute('autocomplete')).to.equal('current-password');
    expect(await w.page.evaluate('document.activeElement.id'), 'the email field has the focus').to.equal('email');
    await w.page.keyboard.type(user.email);
    await w.page.keyboard.press('Tab');
    await w.page.keyboard.type(user.password);
    await w.page.keyboard.press('Enter');
    await w.page.waitForLoadState('load');
    return request;
  }

  it('signs in with password, a new authenticator app and "remember this device", and the application gets an mfa token', async () => {
    alice = await watchedContext(browser);
    const request = await signInWithPassword(alice, f.user, 'sign-in');
    const { page } = alice;

    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await checkPage(alice, SUITE, 'enroll-choose');
    await page.getByRole('button', { name: 'Authenticator app' }).press('Enter');

    await page.getByText('Cannot scan?').waitFor();
    await checkPage(alice, SUITE, 'enroll-totp');
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    const code = page.getByLabel('Code', { exact: true });
    expect(await code.getAttribute('autocomplete')).to.equal('one-time-code');
    await code.fill(await totpCodeAt(secret, clock.now()));
    await page.getByLabel(/Remember this device/).check();
    await page.getByLabel('Device name').fill('Test laptop');
    await page.getByLabel('Device name').press('Enter');

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await checkPage(alice, SUITE, 'recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).to.equal(10);
    await page.getByRole('button', { name: /I saved them/ }).press('Enter');

    const claims = await request.finish();
    expect(claims.sub).to.equal(await subjectOf(f.user.email));
    expect(claims.amr).to.include('otp').and.to.include('mfa');
  });

  it('can be used with the keyboard alone: a sensible tab order, each stop with a visible focus ring', async () => {
    const w = await watchedContext(browser);
    try {
      const request = await authorizationRequest(w.page, config, app);
      await w.page.goto(request.url);
      const stops: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const focused = await w.page.evaluate(`(() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          return JSON.stringify({ name: e.id || e.textContent.trim(), outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 });
        })()`);
        const { name, outline } = JSON.parse(String(focused)) as { name: string; outline: boolean };
        expect(outline, `focus ring on ${name}`).to.equal(true);
        stops.push(name);
        await w.page.keyboard.press('Tab');
      }
      expect(stops).to.deep.equal(['email', 'password', 'Sign in', 'Forgot your password?', 'Cancel and return to Browser app']);
    } finally {
      await w.context.close();
    }
  });

  it('on the remembered device, a new sign-in asks only the password (and the token claims no mfa)', async () => {
    // signed out (the session cookies gone), the browser keeps only its device cookie
    await alice.context.clearCookies({ name: /session/ });
    expect((await alice.context.cookies()).map((c) => c.name)).to.include('lk.device');
    const request = await signInWithPassword(alice, f.user, 'sign-in-again');
    const claims = await request.finish();
    expect(claims.amr).to.deep.equal(['pwd']);
  });

  it('on the remembered device, an application asking for a fresh sign-in (prompt=login) gets the code asked too', async () => {
    await signInWithPassword(alice, f.user, 'sign-in-fresh', { prompt: 'login' });
    await alice.page.getByText('Enter the 6-digit code from your authenticator app.').waitFor();
    await alice.page.getByRole('button', { name: 'Cancel and return to Browser app' }).click();
  });

  it('sets up the email factor with a code from the mail, then signs in with an emailed code', async () => {
    const w = await watchedContext(browser);
    const { page } = w;
    let request = await signInWithPassword(w, bob, 'sign-in-bob');
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    let since = Date.now();
    await page.getByRole('button', { name: 'Email code' }).press('Enter');
    await page.getByText('Enter the code we sent').waitFor();
    await checkPage(w, SUITE, 'enroll-email');
    let mail = await stand.smtp.waitForMail(bob.email, 'Your sign-in code', since);
    await page.getByLabel('Code', { exact: true }).fill(codeIn(mail.text));
    await page.getByLabel('Code', { exact: true }).press('Enter');
    await page.getByRole('button', { name: /I saved them/ }).press('Enter');
    expect((await request.finish()).amr).to.include('mfa');

    clock.travel(31_000); // one code per 30 s per user: the enrollment just sent one
    since = Date.now();
    await w.context.clearCookies();
    request = await signInWithPassword(w, bob, 'sign-in-bob-again');
    await page.getByText(/We sent a 6-digit code/).waitFor();
    await checkPage(w, SUITE, 'second-factor-email');
    mail = await stand.smtp.waitForMail(bob.email, 'Your sign-in code', since);
    await page.getByLabel('Code', { exact: true }).fill(codeIn(mail.text));
    await page.getByLabel('Code', { exact: true }).press('Enter');
    const claims = await request.finish();
    expect(claims.sub).to.equal(await subjectOf(bob.email));
    expect(claims.amr).to.include('otp').and.to.include('mfa');
  });

  it('resets a forgotten password through the link in the email, then signs in with the new one', async () => {
    const w = await watchedContext(browser);
    const { page } = w;
    const request = await authorizationRequest(page, config, app);
    await page.goto(request.url);
    await page.getByRole('link', { name: 'Forgot your password?' }).press('Enter');
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await checkPage(w, SUITE, 'forgot-password');
    const since = Date.now();
    await page.getByLabel('Email address').fill(carol.email);
    await page.getByLabel('Email address').press('Enter');
    await page.getByText('If an account exists for that address').waitFor();
    await checkPage(w, SUITE, 'forgot-password-sent');

    const mail = await stand.smtp.waitForMail(carol.email, 'Reset your password', since);
    await page.goto(linkIn(mail.text!, '/password/reset/'));
    await checkPage(w, SUITE, 'reset-password');
    const next = 'copper lantern drifting seaward';
    const fresh = page.getByLabel('New password', { exact: true });
    expect(await fresh.getAttribute('autocomplete')).to.equal('new-password');
    await fresh.fill(next);
    await page.getByLabel('New password again').fill(next);
    await page.getByLabel('New password again').press('Enter');
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor();
    await checkPage(w, SUITE, 'reset-done');

    await signInWithPassword(w, { email: carol.email, password: next }, 'sign-in-after-reset');
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  });
});
