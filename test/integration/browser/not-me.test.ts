import { expect } from 'chai';
import type { Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { linkIn, waitForMail } from '../../support/outbox.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'not-me';

/**
 * The "This wasn't me" link of a security notice in real Chromium: the page that says what
 * confirming does, the page after it, and the page of a link already used, each through axe-core
 * and the CSP check with screenshots.
 */
describe('browser: the "This wasn\'t me" pages', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let f: Fixture;
  let w: WatchedContext;

  before(async () => {
    world = await startBrowserWorld();
    ({ f } = world);
    w = await watchedContext(world.browser);
  });
  after(() => stopBrowserWorld(world));

  it('asks to confirm, secures the account, and refuses the link afterwards', async () => {
    const c = f.server.container;
    const user = (await c.users.findByEmail((await c.tenants.getByName(f.tenant)).id, f.user.email))!;
    const since = Date.now();
    await c.notifications.factorAdded(user, 'totp');
    const mail = await waitForMail(f.server.url, f.user.email, 'A two-step verification method was added', since);
    const link = linkIn(mail.text, '/account/not-me/');

    await w.page.goto(link);
    await w.page.getByRole('heading', { name: 'Secure your account' }).waitFor();
    expect(await w.page.locator('.lead').textContent()).to.equal(
      `You are reporting that you did not add a two-step verification method to your ${f.tenant} account.`,
    );
    await checkPage(w, SUITE, 'not-me');

    await w.page.getByRole('button', { name: 'Secure my account' }).press('Enter');
    await w.page.getByRole('heading', { name: 'Your account is secured' }).waitFor();
    expect(await w.page.getByRole('status').textContent()).to.equal(
      `We sent a link to ${f.user.email} to choose a new password. Until then, your old password signs nothing in.`,
    );
    await checkPage(w, SUITE, 'not-me-done');
    expect((await c.users.findById(user.id))?.resetRequired).to.equal(true);

    const again = await w.page.goto(link);
    expect(again?.status()).to.equal(410);
    await w.page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    await checkPage(w, SUITE, 'not-me-used');
  });
});
