import { expect } from 'chai';
import type { Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { discover } from '../../support/relying-party.ts';
import { linkIn, waitForMail } from '../../support/outbox.ts';
import { authorizationRequest, fillSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'other-pages';

/**
 * The rest of the hosted pages in real Chromium, each through axe-core and the CSP check with
 * screenshots: consent for a third-party application, a forced password change (its rule
 * messages beside the field), an invitation link, sign-out, and the vulnerability report page.
 */
describe('browser: consent, password change, invitation, sign-out and report pages', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let f: Fixture;
  let w: WatchedContext;
  const tenantId = async () => (await f.server.container.tenants.getByName(f.tenant)).id;

  before(async () => {
    world = await startBrowserWorld();
    ({ f } = world);
    w = await watchedContext(world.browser);
  });
  after(() => stopBrowserWorld(world));

  it('asks for consent for a third-party application, and the application gets its code after Allow', async () => {
    const redirectUri = `${world.application.origin}/callback`;
    const created = await f.server.container.clients.create({
      tenantId: await tenantId(),
      name: 'Partner app',
      redirectUris: [redirectUri],
      grants: ['authorization_code'],
      firstParty: false,
    });
    const partner = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri };
    const request = await authorizationRequest(w.page, await discover(f.server.url, partner), partner);
    await w.page.goto(request.url);
    await fillSignIn(w.page, f.user);
    await w.page.getByRole('button', { name: 'Allow' }).waitFor();
    await checkPage(w, SUITE, 'consent');
    await w.page.getByRole('button', { name: 'Allow' }).press('Enter');
    expect((await request.finish()).sub).to.be.a('string');
  });

  it('a forced password change in a browser already signed in (prompt=login): rule messages beside the new password field, then on to the application', async () => {
    const user = (await f.server.container.users.findByEmail(await tenantId(), f.user.email))!;
    await f.server.container.passwords.forceChange(user.id);
    // the browser is still signed in (consent above): prompt=login asks for the password again
    expect(
      (await w.context.cookies(f.server.url)).map((c) => c.name),
      'signed in',
    ).to.include('lk.session');
    const request = await authorizationRequest(w.page, world.config, world.app, { prompt: 'login' });
    await w.page.goto(request.url);
    await fillSignIn(w.page, f.user);
    const fresh = w.page.getByLabel('New password', { exact: true });
    await fresh.waitFor();
    await checkPage(w, SUITE, 'change-password');
    await fresh.fill('ivory canyon lantern seventy');
    await w.page.getByLabel('New password again').fill('something else entirely here');
    await w.page.getByLabel('New password again').press('Enter');
    await w.page.getByRole('alert').waitFor();
    expect(await w.page.getByRole('alert').textContent()).to.include('The two passwords do not match.');
    expect(await fresh.getAttribute('aria-invalid')).to.equal('true');
    expect(await fresh.getAttribute('aria-describedby')).to.match(/^form-errors /);
    await checkPage(w, SUITE, 'change-password-refused');
    f.user.password = 'ivory canyon lantern seventy';
    await fresh.fill(f.user.password);
    await w.page.getByLabel('New password again').fill(f.user.password);
    await w.page.getByRole('button', { name: 'Save and continue' }).press('Enter');
    expect((await request.finish()).sub).to.equal(user.id);
  });

  it('an invitation link: choose a password, and the account is ready', async () => {
    const since = Date.now();
    await f.server.container.invitations.invite({ tenantId: await tenantId(), email: 'erin@example.com', firstName: 'Erin', actor: 'cli' });
    const mail = await waitForMail(f.server.url, 'erin@example.com', `You are invited to ${f.tenant}`, since);
    await w.page.goto(linkIn(mail.text, '/invitation/'));
    await w.page.getByRole('heading', { name: `Welcome to ${f.tenant}` }).waitFor();
    await checkPage(w, SUITE, 'invitation');
    const password = 'saffron kestrel meadow ninety';
    await w.page.getByLabel('New password', { exact: true }).fill(password);
    await w.page.getByLabel('New password again').fill(password);
    await w.page.getByRole('button', { name: 'Activate my account' }).press('Enter');
    await w.page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await checkPage(w, SUITE, 'invitation-done');
  });

  it('signs out after asking, and says so', async () => {
    const endSession = world.config.serverMetadata().end_session_endpoint!;
    await w.page.goto(`${endSession}?client_id=${encodeURIComponent(world.app.clientId)}`);
    await w.page
      .getByRole('button', { name: 'Yes, sign me out' })
      .waitFor({ timeout: 5000 })
      .catch(async () => {
        throw new Error(`no sign-out question at ${w.page.url()}: ${((await w.page.locator('main').textContent()) ?? '').slice(0, 500)}`);
      });
    await checkPage(w, SUITE, 'logout');
    await w.page.getByRole('button', { name: 'Yes, sign me out' }).press('Enter');
    await w.page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await checkPage(w, SUITE, 'logged-out');
    const request = await authorizationRequest(w.page, world.config, world.app);
    await w.page.goto(request.url);
    await w.page.getByLabel('Password', { exact: true }).waitFor();
  });

  it('shows how to report a vulnerability', async () => {
    await w.page.goto(`${f.server.url}/security`);
    await w.page.getByRole('heading', { name: 'Report a vulnerability' }).waitFor();
    await checkPage(w, SUITE, 'security-report');
  });
});
