import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBackend, type Backend } from '../../support/backends.ts';
import { cli, runCli } from '../../support/cli.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { AuditEventEntity, UserEntity } from '../../../src/store/entities/index.ts';

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const DAY = 86_400_000;

/** the human-readable output, which runCli (always --json) does not show */
function runText(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

describe('CLI: user invite, resend-invitation, deactivate, reactivate and jobs run inactivity (PostgreSQL)', () => {
  let backend: Backend;
  let env: Record<string, string>;
  let db: Database;
  const user = (...args: string[]) => runCli(env, ['user', ...args]);

  before(async () => {
    backend = await createBackend('postgres');
    env = backend.env;
    await cli(env, ['migrate']);
    await cli(env, ['tenant', 'create', '--name', 'acme']);
    await cli(env, [
      'user',
      'create',
      '--tenant',
      'acme',
      '--email',
      'owner@example.com',
      '--password',
      'granite owls keep the northern gate',
      '--role',
      'owner',
    ]);
    db = await openDatabase({ databaseUrl: env.DATABASE_URL!, dataDir: env.DATA_DIR! });
  });
  after(async () => {
    await db?.close();
    await backend?.dispose();
  });

  it('invites a user and prints the user and when the link expires, never the link', async () => {
    const result = await user('invite', '--tenant', 'acme', '--email', 'New.Hire@Example.com', '--first-name', 'Nia', '--role', 'admin');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.json.ok).to.equal(true);
    expect(result.json.user).to.include({ tenant: 'acme', email: 'new.hire@example.com', role: 'admin', status: 'invited' });
    const invitation = result.json.invitation as { sent_to: string; expires_at: string };
    expect(invitation.sent_to).to.equal('new.hire@example.com');
    expect(Date.parse(invitation.expires_at) - Date.now()).to.be.within(71.9 * 3_600_000, 72.1 * 3_600_000);
    expect(result.stdout).to.not.include('/invitation/');
    const event = await db.em().findOneOrFail(AuditEventEntity, { action: 'user.invited', userId: (result.json.user as { id: string }).id });
    expect(event.actor).to.equal('cli');
  });

  it('refuses bad command lines with exit code 2 before connecting, and known failures with 1', async () => {
    const badRole = await user('invite', '--tenant', 'acme', '--email', 'x@example.com', '--role', 'root');
    expect(badRole.code).to.equal(2);
    expect(badRole.json).to.include({ ok: false, error: 'cli.invalid_option' });
    expect(badRole.stderr).to.include('--role must be one of owner, admin, member');
    const missing = await user('deactivate', '--tenant', 'acme');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('--email is required');
    expect((await user('deactivate', '--tenant', 'acme', '--email', 'owner@example.com', '--reason', 'x'.repeat(201))).code).to.equal(2);

    const twice = await user('invite', '--tenant', 'acme', '--email', 'new.hire@example.com');
    expect(twice.code).to.equal(1);
    expect(twice.json).to.include({ ok: false, error: 'user.exists' });
    const unknown = await user('deactivate', '--tenant', 'acme', '--email', 'ghost@example.com');
    expect(unknown.code).to.equal(1);
    expect(unknown.json.error).to.equal('user.not_found');
    const notInvited = await user('resend-invitation', '--tenant', 'acme', '--email', 'owner@example.com');
    expect(notInvited.code).to.equal(1);
    expect(notInvited.json.error).to.equal('user.not_invited');
    const lastOwner = await user('deactivate', '--tenant', 'acme', '--email', 'owner@example.com');
    expect(lastOwner.code).to.equal(1);
    expect(lastOwner.json.error).to.equal('user.last_owner');
  });

  it('resends an invitation', async () => {
    const result = await user('resend-invitation', '--tenant', 'acme', '--email', 'new.hire@example.com');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.json.user).to.include({ status: 'invited' });
    expect(result.json.invitation).to.have.property('expires_at');
  });

  it('deactivates and reactivates, with the reason in the audit', async () => {
    await cli(env, ['user', 'create', '--tenant', 'acme', '--email', 'dan@example.com', '--password', 'violet ferries cross at midnight']);
    const off = await user('deactivate', '--tenant', 'acme', '--email', 'dan@example.com', '--reason', 'contract ended');
    expect(off.code, off.stderr).to.equal(0);
    expect(off.json.user).to.include({ email: 'dan@example.com', status: 'deactivated' });
    expect(off.json.revoked).to.deep.equal({ sessions: 0, grants: 0, devices: 0 });
    const event = await db.em().findOneOrFail(AuditEventEntity, { action: 'user.deactivated', userId: (off.json.user as { id: string }).id });
    expect(event).to.include({ actor: 'cli' });
    expect(event.details).to.include({ reason: 'contract ended' });
    expect((await user('deactivate', '--tenant', 'acme', '--email', 'dan@example.com')).json.error).to.equal('user.already_deactivated');

    const on = await user('reactivate', '--tenant', 'acme', '--email', 'dan@example.com');
    expect(on.code, on.stderr).to.equal(0);
    expect(on.json).to.deep.include({ must_change_password: true, invitation_sent: false });
    expect(on.json.user).to.include({ status: 'active' });
    const stored = await db.em().findOneOrFail(UserEntity, { email: 'dan@example.com' });
    expect(stored.mustChangePassword).to.equal(true);

    // with --reset-required the old password signs nothing in until the emailed link sets a new one
    expect((await user('deactivate', '--tenant', 'acme', '--email', 'dan@example.com')).code).to.equal(0);
    const blocked = await user('reactivate', '--tenant', 'acme', '--email', 'dan@example.com', '--reset-required');
    expect(blocked.code, blocked.stderr).to.equal(0);
    expect(blocked.json).to.deep.include({ must_change_password: false, reset_required: true, invitation_sent: false });
    expect((await db.em().findOneOrFail(UserEntity, { email: 'dan@example.com' })).resetRequiredAt).to.be.instanceOf(Date);
  });

  it('runs the inactivity job and prints the counts per tenant', async () => {
    await cli(env, ['tenant', 'create', '--name', 'quiet']);
    await cli(env, ['tenant', 'set-policy', '--name', 'quiet', '--inactivity-days', '0']);
    await cli(env, ['user', 'create', '--tenant', 'quiet', '--email', 'q@example.com', '--password', 'copper lanterns sway in the wind']);
    await db.em().nativeUpdate(UserEntity, { email: { $in: ['dan@example.com', 'q@example.com'] } }, { lastLoginAt: new Date(Date.now() - 200 * DAY) });

    const result = await runCli(env, ['jobs', 'run', 'inactivity']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.json.deactivated).to.equal(1);
    expect([result.json.expiry_warnings, result.json.inactivity_warnings]).to.deep.equal([0, 0]);
    expect(result.json.tenants).to.deep.equal([
      { tenant: 'acme', inactivity_days: 180, deactivated: 1, expiry_warnings: 0, inactivity_warnings: 0 },
      { tenant: 'quiet', inactivity_days: 0, deactivated: 0, expiry_warnings: 0, inactivity_warnings: 0 },
    ]);
    expect((await db.em().findOneOrFail(UserEntity, { email: 'dan@example.com' })).status).to.equal('deactivated');
    expect((await db.em().findOneOrFail(UserEntity, { email: 'q@example.com' })).status).to.equal('active');

    const text = await runText(env, ['jobs', 'run', 'inactivity']);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.equal(
      'deactivated: 0\nwarnings sent: 0 password expiry, 0 inactivity\ntenants:\n  acme: 0 deactivated (no sign-in for 180 days)\n  quiet: off (inactivityDays 0)\n',
    );
    expect((await runCli(env, ['jobs', 'run', 'inactivity', '--tenant', 'acme'])).code).to.equal(2);
  });

  it('lists the new commands in the usage text', async () => {
    const help = await runText(env, ['--help']);
    for (const line of [
      'user invite --tenant NAME --email EMAIL',
      'user resend-invitation',
      'user deactivate',
      'user reactivate',
      'jobs run inactivity',
      '--invitation-hours',
      '--inactivity-days',
    ]) {
      expect(help.stdout).to.include(line);
    }
  });
});
