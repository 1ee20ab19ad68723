import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { finishFlow, noticeText, post, startFlow } from '../../support/two-factor.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { BACKENDS } from '../../support/backends.ts';

for (const kind of BACKENDS) {
  describe(`users change their own first and last name (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;

    before(async () => {
      ({ f, config } = await startFixture(kind));
    });
    after(() => disposeFixture(f));

    it('saves the names from the account page, audited as the user; a name that is too long is refused with a message', async () => {
      const flow = await startFlow(config, f.client, f.user);
      await finishFlow(config, f.client, flow);
      const { browser } = flow;
      const opened = await browser.navigate('/account/security');
      let page = await post(browser, { status: opened.res.status, url: opened.url, html: opened.html }, '/account/security/unlock', {
        password: f.user.password,
      });
      expect(page.html).to.include('id="profile"');
      page = await post(browser, page, '/account/security/profile', { firstName: 'Alicia', lastName: 'Ng' });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Your name was saved');
      const { container } = f.server;
      const tenant = await container.tenants.getByName(f.tenant);
      const user = (await container.users.findByEmail(tenant.id, f.user.email))!;
      expect([user.firstName, user.lastName]).to.deep.equal(['Alicia', 'Ng']);
      const events = await container.audit.list({ tenantId: tenant.id, action: 'user.profile_updated', limit: 10 });
      expect(events.events[0]?.actor).to.equal(`user:${user.id}`);

      const tooLong = await post(browser, page, '/account/security/profile', { firstName: 'x'.repeat(500), lastName: 'Ng' });
      expect(tooLong.status).to.equal(400);
      expect(alertText(tooLong.html)).not.to.equal('');
      const unchanged = (await container.users.findByEmail(tenant.id, f.user.email))!;
      expect(unchanged.firstName).to.equal('Alicia');
    });
  });
}
