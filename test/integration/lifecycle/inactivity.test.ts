import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { signIn } from '../../support/relying-party.ts';
import { createTenant, createUser, setPolicy } from '../../support/accounts.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';
import type { Container } from '../../../src/app/container.ts';

const DAY = 86_400_000;

for (const kind of BACKENDS) {
  describe(`inactivity job (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let c: Container;
    const clock = movableClock();
    const password = 'seven otters nap beside the old mill';
    const ids: Record<string, string> = {};
    const create = async (tenant: string, email: string) => {
      ids[email] = (await createUser(f, { tenant, email, password })).id;
    };
    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      c = f.server.container;
      await create(f.tenant, 'sam@example.com');
      await create(f.tenant, 'fay@example.com');
      await create(f.tenant, 'nev@example.com');
      const tenant = await c.tenants.getByName(f.tenant);
      ids['ivy@example.com'] = (await c.invitations.invite({ tenantId: tenant.id, email: 'ivy@example.com', actor: 'cli' })).user.id;
      await createTenant(f, { name: `${f.tenant}-off` });
      await setPolicy(f, { lifecycle: { inactivityDays: 0 } }, `${f.tenant}-off`);
      await create(`${f.tenant}-off`, 'otto@example.com');
      await createTenant(f, { name: `${f.tenant}-short` });
      await setPolicy(f, { lifecycle: { inactivityDays: 30 } }, `${f.tenant}-short`);
      await create(`${f.tenant}-short`, 'sid@example.com');
    });
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    it("deactivates only the users whose last sign-in (or creation) is older than their tenant's period", async () => {
      await signIn(config, f.client, { email: 'sam@example.com', password });
      clock.travel(100 * DAY);
      await signIn(config, f.client, { email: 'fay@example.com', password });

      clock.travel(179 * DAY);
      const early = await c.lifecycle.runInactivityJob();
      const byName = (r: typeof early) => Object.fromEntries(r.tenants.map((t) => [t.tenantName, t]));
      expect(byName(early)[f.tenant]!.deactivated).to.equal(0);
      expect(byName(early)[`${f.tenant}-short`]!.deactivated).to.equal(1);

      clock.travel(181 * DAY);
      const report = await c.lifecycle.runInactivityJob();
      const tenants = byName(report);
      // sam (signed in 181 days ago), nev and the fixture's alice (never signed in, created 181 days ago)
      expect(tenants[f.tenant]).to.include({ inactivityDays: 180, deactivated: 3 });
      expect(tenants[`${f.tenant}-off`]).to.include({ inactivityDays: 0, deactivated: 0 });
      expect(tenants[`${f.tenant}-short`]).to.include({ inactivityDays: 30, deactivated: 0 });
      expect(report.deactivated).to.equal(3);
      expect(report.ranAt.getTime()).to.be.closeTo(clock.now(), 5000);

      const status = async (email: string) => (await c.users.findById(ids[email]!))!.status;
      expect(await status('sam@example.com')).to.equal('deactivated');
      expect(await status('nev@example.com')).to.equal('deactivated');
      expect(await status('fay@example.com')).to.equal('active');
      expect(await status('ivy@example.com')).to.equal('invited');
      expect(await status('otto@example.com')).to.equal('active');
      expect(await status('sid@example.com')).to.equal('deactivated');

      const event = await c.db.em().findOneOrFail(AuditEventEntity, { userId: ids['sam@example.com']!, action: 'user.deactivated' });
      expect(event.actor).to.equal('system');
      expect(event.details).to.include({ reason: 'inactivity', inactivityDays: 180 });

      // a deactivated user cannot sign in; an active one still can
      const { browser, page } = await openSignIn(config, f.client);
      const refused = await submit(browser, page, '/login', { email: 'sam@example.com', password });
      expect(alertText(refused.html)).to.equal('The email address or password is not correct.');
      expect((await signIn(config, f.client, { email: 'fay@example.com', password })).callbackUrl.searchParams.get('code')).to.be.a('string');

      // nothing left to do on a second run; the time can also be given
      expect((await c.lifecycle.runInactivityJob()).deactivated).to.equal(0);
      expect((await c.lifecycle.runInactivityJob({ now: clock.now() + 400 * DAY })).deactivated).to.equal(1);
      expect(await status('fay@example.com')).to.equal('deactivated');
      expect(await status('otto@example.com')).to.equal('active');
    });

    it('keeps the data: reactivation brings the same user back', async () => {
      const back = await c.lifecycle.reactivate({ userId: ids['sam@example.com']!, actor: 'cli' });
      expect(back.user).to.include({ email: 'sam@example.com', status: 'active' });
      expect(back.mustChangePassword).to.equal(true);
    });
  });
}
