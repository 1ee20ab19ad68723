import { expect } from 'chai';
import { addUser, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { waitForMail } from '../../support/outbox.ts';

/** A user's passkeys through the admin API: listed without their keys, removed one at a time. */
describe('admin API: a user’s passkeys (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let user: { id: string; email: string };
  const kept = new SoftAuthenticator();
  const removed = new SoftAuthenticator({ synced: true });
  const ids: Record<string, string> = {};

  /** registers the authenticator's passkey for the user through the server's own ceremony service */
  async function enrol(authenticator: SoftAuthenticator, name: string) {
    const passkeys = w.f.server.container.passkeys;
    const key = `account:${name}`;
    const options = await passkeys.registrationOptions(key, { id: user.id, email: user.email, displayName: 'Una' }, 'Tenant');
    const answer = JSON.stringify(authenticator.create(options, new URL(w.f.server.url).origin));
    const created = await passkeys.register(key, user.id, answer, name);
    if (!created.ok) throw new Error(`passkey not registered: ${created.reason}`);
    ids[name] = created.factorId;
  }

  before(async () => {
    w = await startAdminWorld();
    user = await addUser(w, w.a.tenant, { first: 'Una' });
    await enrol(kept, 'Work laptop');
    await enrol(removed, 'Phone');
  });
  after(() => stopAdminWorld(w));

  const base = () => `/tenants/${w.a.tenant}/users/${user.id}/passkeys`;

  it('lists them oldest first: name, synced or device-bound, never a key', async () => {
    const res = await w.api('GET', base());
    expect(res.status).to.equal(200);
    const list = res.json.passkeys as Record<string, unknown>[];
    expect(list.map((p) => [p.id, p.name, p.synced, p.backedUp, p.lastUsedAt])).to.deep.equal([
      [ids['Work laptop'], 'Work laptop', false, false, null],
      [ids.Phone, 'Phone', true, true, null],
    ]);
    for (const p of list) expect(Object.keys(p).sort()).to.deep.equal(['aaguid', 'backedUp', 'createdAt', 'id', 'lastUsedAt', 'name', 'synced', 'transports']);
  });

  it('removes one: audited as factor.removed by the caller, the user emailed; the other stays', async () => {
    const res = await w.api('DELETE', `${base()}/${ids.Phone}`);
    expect(res.status).to.equal(204);
    const after = await w.api('GET', base());
    expect((after.json.passkeys as { name: string }[]).map((p) => p.name)).to.deep.equal(['Work laptop']);
    const audit = await w.api('GET', `/tenants/${w.a.tenant}/audit-events?action=factor.removed&userId=${user.id}`);
    expect(audit.status).to.equal(200);
    expect(audit.json.items.map((e: any) => [e.actor, e.details])).to.deep.equal([
      [`token:${w.a.tokenId}`, { type: 'passkey', factorId: ids.Phone, name: 'Phone' }],
    ]);
    const mail = await waitForMail(w.f.server.url, user.email, 'A two-step verification method was removed');
    expect(mail.text).to.include('Passkey was removed from your account.');
  });

  it('answers 404 for a passkey the user does not have (another user’s, or one removed)', async () => {
    expectError(await w.api('DELETE', `${base()}/${ids.Phone}`), 404, 'passkey.not_found');
    const other = await addUser(w, w.a.tenant);
    expectError(await w.api('DELETE', `/tenants/${w.a.tenant}/users/${other.id}/passkeys/${ids['Work laptop']}`), 404, 'passkey.not_found');
    expect(((await w.api('GET', base())).json.passkeys as unknown[]).length).to.equal(1);
  });

  it('refuses a passkey id that is not a UUID with 400', async () => {
    expectError(await w.api('DELETE', `${base()}/not-an-id`), 400, 'request.invalid');
  });
});
