import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { createUser } from '../../support/accounts.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { AuditEventEntity, TrustedDeviceEntity, UserEntity } from '../../../src/store/entities/index.ts';
import type { Container } from '../../../src/app/container.ts';
import { AppError } from '../../../src/lib/errors.ts';
import { rejection } from '../../support/rejection.ts';

for (const kind of BACKENDS) {
  describe(`deactivation and reactivation (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let c: Container;
    const bob = { email: 'bob@example.com', password: 'quiet meadows hold seven blue stones' };
    let bobId: string;
    let ownerId: string;
    before(async () => {
      ({ f, config } = await startFixture(kind));
      c = f.server.container;
      bobId = (await createUser(f, bob)).id;
      ownerId = (await createUser(f, { email: 'olga@example.com', password: 'orchards of copper under a grey sky', role: 'owner' })).id;
    });
    after(() => disposeFixture(f));

    const failedSignIn = async (credentials: { email: string; password: string }) => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', credentials);
    };

    it('ends sessions, refresh tokens and remembered devices at once; sign-in then fails with the usual message', async () => {
      const first = await signIn(config, f.client, bob);
      const tokens = await exchange(config, first);
      expect(tokens.refresh_token).to.be.a('string');
      const tenant = await c.tenants.getByName(f.tenant);
      await c.devices.remember({
        userId: bobId,
        tenantId: tenant.id,
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
        ip: '127.0.0.1',
        policy: tenant.policy.devices,
      });

      const { user, ended } = await c.lifecycle.deactivate({ userId: bobId, actor: `admin:${ownerId}`, reason: 'left the company', ip: '198.51.100.7' });
      expect(user.status).to.equal('deactivated');
      expect(ended.sessions).to.be.at.least(1);
      expect(ended.grants).to.be.at.least(1);
      expect(ended.devices).to.equal(1);
      expect(await c.db.em().count(TrustedDeviceEntity, { user: bobId })).to.equal(0);

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const info = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(info.status).to.equal(401);
      // the browser's session is gone too: the sign-in form shows again
      const again = await first.browser.navigate(
        oidc
          .buildAuthorizationUrl(config, {
            redirect_uri: f.client.redirectUri,
            scope: 'openid',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          })
          .toString(),
      );
      expect(again.html).to.include('autocomplete="current-password"');

      const refused = await failedSignIn(bob);
      expect(refused.status).to.equal(401);
      expect(alertText(refused.html)).to.equal('The email address or password is not correct.');
      expect(alertText((await failedSignIn({ email: 'nobody@example.com', password: bob.password })).html)).to.equal(alertText(refused.html));

      const event = await c.db.em().findOneOrFail(AuditEventEntity, { userId: bobId, action: 'user.deactivated' });
      expect(event.actor).to.equal(`admin:${ownerId}`);
      expect(event.ip).to.equal('198.51.100.7');
      expect(event.details).to.include({ reason: 'left the company', previousStatus: 'active', devices: 1 });
      // data kept
      expect(await c.db.em().findOne(UserEntity, { id: bobId })).to.not.equal(null);

      const twice = await rejection(c.lifecycle.deactivate({ userId: bobId, actor: 'cli' }));
      expect(twice).to.be.instanceOf(AppError).and.include({ status: 409, code: 'user.already_deactivated' });
    });

    it('reactivates with a forced password change at the next sign-in', async () => {
      const { user, mustChangePassword } = await c.lifecycle.reactivate({ userId: bobId, actor: 'cli' });
      expect(user.status).to.equal('active');
      expect(mustChangePassword).to.equal(true);
      const { browser, page } = await openSignIn(config, f.client);
      let step = await submit(browser, page, '/login', bob);
      expect(step.html).to.include('Your account needs a new password before you continue.');
      step = await submit(browser, step, '/change-password', { password: bob.password, confirm: bob.password });
      expect(alertText(step.html)).to.include('You used this password recently');
      bob.password = 'lanterns over the harbour at dusk again';
      step = await submit(browser, step, '/change-password', { password: bob.password, confirm: bob.password });
      expect(step.url).to.match(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
      expect(await c.db.em().findOne(AuditEventEntity, { userId: bobId, action: 'user.reactivated', actor: 'cli' })).to.not.equal(null);

      const twice = await rejection(c.lifecycle.reactivate({ userId: bobId, actor: 'cli' }));
      expect(twice).to.include({ status: 409, code: 'user.not_deactivated' });
    });

    it('returns a user who never accepted the invitation to invited, with a new link', async () => {
      const tenant = await c.tenants.getByName(f.tenant);
      const { user } = await c.invitations.invite({ tenantId: tenant.id, email: 'nina@example.com', actor: 'cli' });
      await c.lifecycle.deactivate({ userId: user.id, actor: 'cli' });
      const back = await c.lifecycle.reactivate({ userId: user.id, actor: 'cli' });
      expect(back).to.deep.include({ mustChangePassword: false, invitationSent: true });
      expect(back.user.status).to.equal('invited');
    });

    it('never leaves the tenant without an active owner', async () => {
      const lastOwner = await rejection(c.lifecycle.deactivate({ userId: ownerId, actor: 'cli' }));
      expect(lastOwner).to.include({ status: 409, code: 'user.last_owner' });
      const demoted = await rejection(c.profiles.setRole({ userId: ownerId, role: 'admin', actor: 'cli' }));
      expect(demoted).to.include({ status: 409, code: 'user.last_owner' });

      const promoted = await c.profiles.setRole({ userId: bobId, role: 'owner', actor: `admin:${ownerId}` });
      expect(promoted.role).to.equal('owner');
      const event = await c.db.em().findOneOrFail(AuditEventEntity, { userId: bobId, action: 'user.role_changed' });
      expect(event.details).to.deep.equal({ before: { role: 'member' }, after: { role: 'owner' } });
      expect((await c.lifecycle.deactivate({ userId: ownerId, actor: `admin:${bobId}` })).user.status).to.equal('deactivated');
      await c.lifecycle.reactivate({ userId: ownerId, actor: 'cli' });
    });

    it('refuses unknown users, malformed ids, bad reasons and actors with clear errors', async () => {
      expect(await rejection(c.lifecycle.deactivate({ userId: 'not-a-uuid', actor: 'cli' }))).to.include({ status: 404, code: 'user.not_found' });
      expect(await rejection(c.lifecycle.deactivate({ userId: '00000000-0000-4000-8000-000000000000', actor: 'cli' }))).to.include({ status: 404 });
      expect(await rejection(c.lifecycle.deactivate({ userId: bobId, actor: 'cli', reason: 'x'.repeat(201) }))).to.include({ status: 400 });
      expect(await rejection(c.lifecycle.deactivate({ userId: bobId, actor: 'no spaces allowed' }))).to.include({ status: 400, code: 'request.invalid_actor' });
      expect((await c.users.findById(bobId))!.status).to.equal('active');
    });
  });
}
