import { expect } from 'chai';
import type * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { movableClock, type Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { enrollTotpDirectly, wrongTotpCode } from '../../support/two-factor.ts';
import { authorizationRequest, fillSignIn, type ApplicationServer } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'error-pages';
const LOGO = 'https://logo.example.test/acme.svg';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#0b5cad"/></svg>';

/**
 * What a user sees when a sign-in cannot go on, in real Chromium: each page says what happened
 * and what to do next, marks the field at fault, passes axe-core and the CSP check; and the
 * tenant's name and logo head every sign-in page.
 */
describe('browser: sign-in errors, tenant name and logo', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let browser: Browser;
  let f: Fixture;
  let application: ApplicationServer;
  let app: RegisteredTestClient;
  let config: oidc.Configuration;
  const clock = movableClock();
  let totpSecret = '';
  let w: WatchedContext;

  /** another tenant with its own application, user and policy */
  async function otherTenant(name: string, policy: Record<string, unknown>) {
    const { tenants, users, clients } = f.server.container;
    const tenant = await tenants.create({ name, displayName: name });
    await tenants.updatePolicy(tenant.id, policy);
    const user = { email: `dana@${name}.example`, password: 'violet harbour compass sixty' };
    await users.create({ tenantId: tenant.id, email: user.email, password: user.password });
    const created = await clients.create({
      tenantId: tenant.id,
      name: `${name} app`,
      redirectUris: [`${application.origin}/callback`],
      grants: ['authorization_code'],
    });
    const client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: `${application.origin}/callback` };
    return { user, client, config: await discover(f.server.url, client) };
  }

  before(async () => {
    world = await startBrowserWorld({ clock });
    ({ browser, f, application, app, config } = world);
    const { tenants } = f.server.container;
    const tenant = await tenants.getByName(f.tenant);
    await tenants.updateBranding(tenant.id, { displayName: 'Acme Inc.', logoUrl: LOGO });
    await tenants.updatePolicy(tenant.id, { mfa: { mode: 'always', factors: ['totp'] } });
    ({ secret: totpSecret } = await enrollTotpDirectly(f.server.container, f.tenant, f.user.email, clock.now()));
    w = await watchedContext(browser);
    // the logo's host does not exist: the browser's requests for it are answered here
    await w.context.route('https://logo.example.test/**', (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
  });
  after(() => stopBrowserWorld(world));

  async function openSignIn(extra: Record<string, string> = {}, target = { config, client: app }) {
    const request = await authorizationRequest(w.page, target.config, target.client, extra);
    await w.page.goto(request.url);
    return request;
  }

  it('heads the sign-in page with the tenant name and its logo, which the page CSP admits (its origin only)', async () => {
    await openSignIn();
    const logo = w.page.locator('header.brand img');
    expect(await logo.getAttribute('src')).to.equal(LOGO);
    expect(await logo.getAttribute('alt'), 'decorative: the name is beside it').to.equal('');
    await w.page.waitForFunction('document.querySelector("header.brand img").complete');
    expect(Number(await w.page.evaluate('document.querySelector("header.brand img").naturalWidth')), 'the logo loaded').to.be.greaterThan(0);
    expect(await w.page.locator('header.brand').textContent()).to.include('Acme Inc.');
    expect(w.documentCsp()).to.include("img-src 'self' data: https://logo.example.test;");
    await checkPage(w, SUITE, 'sign-in-logo');
  });

  it('a refused password: the message next to the fields, both marked invalid, and what to do next (the same for every reason)', async () => {
    await openSignIn();
    await fillSignIn(w.page, { email: f.user.email, password: 'not the password at all' });
    await w.page.getByRole('alert').waitFor();
    expect(await w.page.getByRole('alert').textContent()).to.equal('The email address or password is not correct.');
    for (const label of ['Email address', 'Password']) {
      const field = w.page.getByLabel(label, { exact: true });
      expect(await field.getAttribute('aria-invalid'), label).to.equal('true');
      expect(await field.getAttribute('aria-describedby'), label).to.equal('form-error');
    }
    const help = await w.page.getByRole('region', { name: 'Cannot sign in?' }).textContent();
    expect(help).to.include('locked for a few minutes').and.to.include('invitation email').and.to.include('deactivated');
    expect(help, 'a blocked account learns where its way back is, whoever typed the password').to.include('use the link in the email we sent you');
    await checkPage(w, SUITE, 'sign-in-failed');

    await w.page.getByLabel('Password', { exact: true }).fill('');
    await w.page.getByRole('button', { name: 'Sign in' }).press('Enter');
    await w.page.getByText('Enter your email address and password.').waitFor();
    await checkPage(w, SUITE, 'sign-in-missing');
  });

  it('too many wrong codes: the code field says so, then a page stops the sign-in and says to start again', async () => {
    await openSignIn();
    await fillSignIn(w.page, f.user);
    const code = w.page.getByLabel('Code', { exact: true });
    await code.waitFor();
    await checkPage(w, SUITE, 'second-factor-totp');
    const wrong = await wrongTotpCode(totpSecret, clock.now());
    await code.fill(wrong);
    await code.press('Enter');
    await w.page.getByRole('alert').waitFor();
    expect(await code.getAttribute('aria-invalid')).to.equal('true');
    expect(await w.page.getByRole('alert').textContent()).to.match(/The code is not correct/);
    await checkPage(w, SUITE, 'second-factor-wrong');
    for (let i = 0; i < 4; i += 1) {
      await w.page.getByLabel('Code', { exact: true }).fill(wrong);
      await w.page.getByLabel('Code', { exact: true }).press('Enter');
      await w.page.waitForLoadState('load');
    }
    await w.page.getByRole('heading', { name: 'Too many wrong codes' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('start signing in again');
    expect(await w.page.locator('header.brand').textContent(), 'whose sign-in stopped').to.include('Acme Inc.');
    expect(await w.page.locator('header.brand img').getAttribute('src')).to.equal(LOGO);
    await checkPage(w, SUITE, 'too-many-codes');
  });

  it('an expired sign-in page, a form from another tab, a used or unknown link: each a page with what to do next', async () => {
    await w.page.goto(`${f.server.url}/interaction/not-a-real-interaction`);
    await w.page.getByRole('heading', { name: 'This sign-in page has expired' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('start signing in again');
    await checkPage(w, SUITE, 'session-expired');

    await openSignIn();
    await w.page.evaluate('document.querySelector("input[name=csrf]").value = "stale"');
    await w.page.getByLabel('Email address').fill(f.user.email);
    await w.page.getByLabel('Password', { exact: true }).fill(f.user.password);
    await w.page.getByLabel('Password', { exact: true }).press('Enter');
    await w.page.getByRole('heading', { name: 'The form could not be accepted' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('Reload the page');
    await checkPage(w, SUITE, 'form-expired');

    await w.page.goto(`${f.server.url}/password/reset/not-a-real-token`);
    await w.page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('Ask for a new link');
    await checkPage(w, SUITE, 'reset-link-invalid');

    await w.page.goto(`${f.server.url}/invitation/not-a-real-token`);
    await w.page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('new invitation');
    await checkPage(w, SUITE, 'invitation-link-invalid');
  });

  it('a network the tenant does not allow: a page that says so and what to do', async () => {
    const strict = await otherTenant('strictnet', { network: { allowlist: ['203.0.113.0/24'], strict: true } });
    const other = await watchedContext(browser);
    try {
      const request = await authorizationRequest(other.page, strict.config, strict.client);
      await other.page.goto(request.url);
      await fillSignIn(other.page, strict.user);
      await other.page.getByRole('heading', { name: 'Sign-in is not allowed from this network' }).waitFor();
      expect(await other.page.locator('main').textContent()).to.include('approved network');
      await checkPage(other, SUITE, 'network-denied');
    } finally {
      await other.context.close();
    }
  });

  it('signed in at another tenant: the sign-in page for this application says to sign in with an account of its tenant', async () => {
    const beta = await otherTenant('beta', {});
    const other = await watchedContext(browser);
    try {
      const first = await authorizationRequest(other.page, beta.config, beta.client);
      await other.page.goto(first.url);
      await fillSignIn(other.page, beta.user);
      await first.finish();
      const second = await authorizationRequest(other.page, config, app);
      await other.page.goto(second.url);
      await other.page.getByRole('status').waitFor();
      expect(await other.page.getByRole('status').textContent()).to.equal(
        'This browser is signed in with an account that cannot use Browser app. Sign in with your Acme Inc. account to continue.',
      );
      await checkPage(other, SUITE, 'other-tenant');
    } finally {
      await other.context.close();
    }
  });
});
