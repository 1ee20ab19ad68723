import { expect } from 'chai';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { cli, runCli } from '../../support/cli.ts';
import { waitForMail } from '../../support/outbox.ts';
import { enrollTotpDirectly } from '../../support/two-factor.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** `latchkey user reset-factors`: the admin reset of a user who lost their phone, from the command line (embedded default). */
describe('CLI user reset-factors', function () {
  this.timeout(120_000);
  let f: Fixture;
  before(async () => {
    f = await createFixture('embedded');
  });
  after(() => disposeFixture(f));

  it('removes the factors, recovery codes and remembered devices, prints the counts, audits factors.reset by cli and emails the user', async () => {
    const c = f.server.container;
    const tenant = await c.tenants.getByName(f.tenant);
    const { userId } = await enrollTotpDirectly(c, f.tenant, f.user.email, Date.now());
    await c.factors.recoveryCodes.generate(userId, 10);
    await c.devices.remember({ userId, tenantId: tenant.id, userAgent: FIREFOX, ip: '198.51.100.8', policy: tenant.policy.devices });
    const since = Date.now();

    const out = await cli(f.server.env, ['user', 'reset-factors', '--tenant', f.tenant, '--email', f.user.email]);
    expect(out).to.deep.equal({ ok: true, user: { id: userId, email: f.user.email }, factors: 1, recovery_codes: 10, devices: 1 });
    expect(await c.factors.list(userId)).to.deep.equal([]);
    expect(await c.factors.recoveryCodes.remaining(userId)).to.equal(0);
    expect(await c.devices.list(userId)).to.deep.equal([]);

    const { events } = await c.audit.list({ tenantId: tenant.id, action: 'factors.reset', limit: 10 });
    expect(events.map((e) => [e.actor, e.userId, e.ip ?? null, e.userAgent ?? null, e.details])).to.deep.equal([
      ['cli', userId, null, null, { factors: 1, recoveryCodes: 10, devices: 1 }],
    ]);
    const mail = await waitForMail(f.server.url, f.user.email, 'Your two-step verification was reset', since);
    expect(mail.text).to.include('An administrator of your organisation removed every two-step verification method from your account');
  });

  it('refuses an unknown user with exit 1 and a missing option with exit 2; --help lists the command', async () => {
    const unknown = await runCli(f.server.env, ['user', 'reset-factors', '--tenant', f.tenant, '--email', 'nobody@example.com']);
    expect(unknown.code).to.equal(1);
    expect(unknown.json).to.deep.equal({ ok: false, error: 'user.not_found', message: `No user nobody@example.com in tenant ${f.tenant}` });
    const missing = await runCli(f.server.env, ['user', 'reset-factors', '--tenant', f.tenant]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.equal('latchkey: --email is required\n');
    const help = await runCli({}, ['--help']);
    expect(help.stdout).to.include('  user reset-factors --tenant NAME --email EMAIL    removes every second factor, recovery code and remembered device');
  });
});
