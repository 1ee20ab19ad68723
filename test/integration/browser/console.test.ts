import { expect } from 'chai';
import { movableClock, type Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { enrollTotpDirectly } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { authorizationRequest, fillSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'console';

/**
 * The account console in real Chromium: two browsers of one user; the first opens the security
 * section with the password, forgets its remembered device and signs out everywhere else, and
 * the second browser's session really ends (its next sign-in asks for the password).
 */
describe('browser: account console security section', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let f: Fixture;
  const clock = movableClock();
  let secret = '';
  let steps = 0;
  let laptop: WatchedContext;
  let phone: WatchedContext;

  /** a sign-in of the application with password and TOTP (each with a fresh 30 s step, no replay) */
  async function signInWithTotp(w: WatchedContext, remember: string | undefined) {
    const request = await authorizationRequest(w.page, world.config, world.app);
    await w.page.goto(request.url);
    await fillSignIn(w.page, f.user);
    const code = w.page.getByLabel('Code', { exact: true });
    steps += 1;
    clock.travel(steps * 30_000);
    await code.fill(await totpCodeAt(secret, clock.now()));
    if (remember) {
      await w.page.getByLabel(/Remember this device/).check();
      await w.page.getByLabel('Device name').fill(remember);
    }
    await code.press('Enter');
    return request.finish();
  }

  before(async () => {
    world = await startBrowserWorld({ clock });
    ({ f } = world);
    const tenant = await f.server.container.tenants.getByName(f.tenant);
    await f.server.container.tenants.updatePolicy(tenant.id, { mfa: { mode: 'always', factors: ['totp'] } });
    ({ secret } = await enrollTotpDirectly(f.server.container, f.tenant, f.user.email, clock.now()));
    [laptop, phone] = await Promise.all([watchedContext(world.browser), watchedContext(world.browser)]);
    await signInWithTotp(laptop, 'Work laptop');
    await signInWithTotp(phone, undefined);
  });
  after(() => stopBrowserWorld(world));

  it('opens the security section only after the password is entered again', async () => {
    const { page } = laptop;
    await page.goto(`${f.server.url}/account?tenant=${f.tenant}`);
    await page.getByRole('link', { name: /Security settings/ }).waitFor();
    await checkPage(laptop, SUITE, 'overview');
    await page.getByRole('link', { name: /Security settings/ }).press('Enter');
    await page.getByRole('heading', { name: 'Confirm your password' }).waitFor();
    await checkPage(laptop, SUITE, 'unlock');
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('autocomplete')).to.equal('current-password');
    await password.fill(f.user.password);
    await password.press('Enter');
    await page.locator('#sessions-section').waitFor();
    await checkPage(laptop, SUITE, 'security');
  });

  it('forgets the remembered device', async () => {
    const { page } = laptop;
    const device = page.locator('#devices li', { hasText: 'Work laptop' });
    expect(await device.count()).to.equal(1);
    await device.getByRole('button', { name: 'Forget' }).press('Enter');
    await page.waitForLoadState('load');
    expect(await page.locator('#devices li', { hasText: 'Work laptop' }).count()).to.equal(0);
    const user = await f.server.container.users.findByEmail((await f.server.container.tenants.getByName(f.tenant)).id, f.user.email);
    expect(await f.server.container.devices.list(user!.id)).to.deep.equal([]);
    await checkPage(laptop, SUITE, 'security-device-forgotten');
  });

  it('signs out everywhere else: the other browser must sign in again, this one stays signed in', async () => {
    const { page } = laptop;
    expect(await page.locator('#sessions li').count(), 'this browser and the phone').to.be.at.least(2);
    await page.getByRole('button', { name: 'Sign out everywhere but here' }).press('Enter');
    await page.getByText(/Signed out everywhere else/).waitFor();
    await checkPage(laptop, SUITE, 'security-signed-out-others');

    const again = await authorizationRequest(phone.page, world.config, world.app);
    await phone.page.goto(again.url);
    await phone.page.getByLabel('Password', { exact: true }).waitFor();
    expect(await phone.page.getByRole('heading', { level: 1 }).textContent()).to.equal('Sign in');

    await page.goto(`${f.server.url}/account`);
    await page.getByRole('link', { name: /Security settings/ }).waitFor();
  });
});
