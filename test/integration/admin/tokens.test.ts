import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { runCli } from '../../support/cli.ts';
import { addUser, auditEvents, expectError, issueToken, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

const MINUTE = 60_000;

describe('admin API: API tokens (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  before(async () => {
    w = await startAdminWorld();
  });
  after(() => stopAdminWorld(w));
  afterEach(() => w.clock.travel(0));

  const create = async (body: Record<string, unknown>, token = w.a.token) => w.api('POST', '/tokens', { token, body });
  const row = async (id: string) => {
    const rows = await w.f.server.container.db.em().getConnection().execute('select * from api_tokens where id = ?', [id]);
    return rows[0] as Record<string, unknown>;
  };

  describe('issuing', () => {
    it('shows the token once; the list and the stored row hold no secret, only its SHA-256', async () => {
      const res = await create({ name: 'deploy bot', scopes: ['admin:read'], expiresInDays: 30 });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      const { token, apiToken } = res.json;
      expect(token).to.match(/^lk_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
      expect(apiToken).to.include({ name: 'deploy bot', status: 'active', lastUsedAt: null, revokedAt: null });
      expect(apiToken.scopes).to.deep.equal(['admin:read']);
      expect(Date.parse(apiToken.expiresAt) - Date.parse(apiToken.createdAt)).to.equal(30 * 86_400_000);

      const secret = token.slice(`lk_${apiToken.id}_`.length);
      const stored = await row(apiToken.id);
      expect(stored.token_hash).to.equal(createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(stored)).not.to.include(secret);

      const list = await w.api('GET', '/tokens');
      expect(list.status).to.equal(200);
      const listed = (list.json.items as Array<Record<string, unknown>>).find((t) => t.id === apiToken.id)!;
      expect(listed).to.deep.equal(apiToken);
      expect(JSON.stringify(list.json)).not.to.include(secret);
      expect(JSON.stringify(list.json)).not.to.include(String(stored.token_hash));

      const me = await w.api('GET', '/me', { token });
      expect(me.json).to.include({ userId: w.a.userId, tenantId: w.a.tenantId, via: 'api_token', tokenId: apiToken.id });
      const [created] = await auditEvents(w, 'api_token.created');
      expect(created).to.include({ actor: `token:${w.a.tokenId}`, userId: w.a.userId });
      expect(created!.details).to.include({ tokenId: apiToken.id, name: 'deploy bot' });
    });

    it('refuses bad input with 400 and the path of each problem', async () => {
      for (const [body, path] of [
        [{ name: '', scopes: ['admin:read'] }, 'name'],
        [{ name: 'x'.repeat(101), scopes: ['admin:read'] }, 'name'],
        [{ name: 'x', scopes: [] }, 'scopes'],
        [{ name: 'x', scopes: ['root'] }, 'scopes.0'],
        [{ name: 'x', scopes: ['admin:read', 'admin:read'] }, 'scopes'],
        [{ name: 'x', scopes: ['admin:read'], expiresInDays: 366 }, 'expiresInDays'],
        [{ name: 'x', scopes: ['admin:read'], expiresInDays: '30' }, 'expiresInDays'],
        [{ name: 'x', scopes: 'admin:read' }, 'scopes'],
        [{ name: 'x', scopes: ['admin:read'], secret: 'mine' }, ''],
      ] as const) {
        const res = await create(body);
        expectError(res, 400, 'request.invalid');
        expect(
          res.json.error.details.issues.map((i: { path: string }) => i.path),
          JSON.stringify(body),
        ).to.include(path);
        expect(res.json.error.details.issues[0].in).to.equal('body');
      }
    });

    it('through the CLI: printed once, for owners and admins only, the command line checked before connecting', async () => {
      const text = await runCli(w.env, [
        'token',
        'create',
        '--tenant',
        w.a.tenant,
        '--email',
        w.a.email,
        '--name',
        'ci',
        '--scope',
        'admin:read',
        '--scope',
        'admin:write',
        '--expires-days',
        '7',
      ]);
      expect(text.code, text.stderr).to.equal(0);
      const json = text.json as { token: string; api_token: { scopes: string[]; expires_at: string } };
      expect(json.api_token.scopes).to.deep.equal(['admin:read', 'admin:write']);
      expect((await w.api('GET', '/me', { token: json.token })).status).to.equal(200);

      const member = await addUser(w, w.a.tenant);
      const refused = await runCli(w.env, ['token', 'create', '--tenant', w.a.tenant, '--email', member.email, '--name', 'x', '--scope', 'admin:read']);
      expect(refused.code).to.equal(1);
      expect(refused.json).to.include({ ok: false, error: 'token.not_admin' });

      const badScope = await runCli({ ...w.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, [
        'token',
        'create',
        '--tenant',
        w.a.tenant,
        '--email',
        w.a.email,
        '--name',
        'x',
        '--scope',
        'admin:everything',
      ]);
      expect(badScope.code).to.equal(2);
      expect(badScope.stderr).to.include('--scope');
      const badDays = await runCli({ ...w.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, [
        'token',
        'create',
        '--tenant',
        w.a.tenant,
        '--email',
        w.a.email,
        '--name',
        'x',
        '--scope',
        'admin:read',
        '--expires-days',
        '0',
      ]);
      expect(badDays.code).to.equal(2);
      expect(badDays.stderr).to.include('--expires-days');
    });
  });

  describe('authentication', () => {
    it('asks for a bearer token, and refuses malformed, unknown and forged ones with 401', async () => {
      const none = await w.api('GET', '/me', { token: null });
      expectError(none, 401, 'auth.required');
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer realm="latchkey-admin"/);
      expectError(
        await w.api('GET', '/me', { token: null, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
        401,
        'auth.required',
      );
      const [id] = w.a.token.slice(3).split('_');
      for (const token of [
        'lk_nonsense',
        `lk_${id}_${'A'.repeat(43)}`,
        `lk_00000000-0000-4000-8000-000000000000_${'A'.repeat(43)}`,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'x'.repeat(5000),
      ]) {
        const res = await w.api('GET', '/me', { token });
        expectError(res, 401, 'auth.invalid_token');
        expect(res.headers.get('www-authenticate')).to.include('error="invalid_token"');
      }
    });

    it('records the last use at most once a minute', async () => {
      const { json } = await create({ name: 'usage', scopes: ['admin:read'] });
      expect((await row(json.apiToken.id)).last_used_at).to.equal(null);
      await w.api('GET', '/me', { token: json.token });
      const lastUsed = async () => Date.parse(String((await row(json.apiToken.id)).last_used_at));
      const first = await lastUsed();
      expect(first).to.be.within(Date.now() - 5000, Date.now());
      w.clock.travel(30_000);
      await w.api('GET', '/me', { token: json.token });
      expect(await lastUsed()).to.equal(first);
      w.clock.travel(61_000);
      await w.api('GET', '/me', { token: json.token });
      expect(await lastUsed()).to.be.greaterThan(first + 60_000);
      const listed = (await w.api('GET', '/tokens')).json.items.find((t: { id: string }) => t.id === json.apiToken.id);
      expect(Date.parse(listed.lastUsedAt)).to.equal(await lastUsed());
    });

    it('stops working when it expires', async () => {
      const { json } = await create({ name: 'short', scopes: ['admin:read'], expiresInDays: 1 });
      w.clock.travel(86_400_000 - MINUTE);
      expect((await w.api('GET', '/me', { token: json.token })).status).to.equal(200);
      w.clock.travel(86_400_000 + 1000);
      expectError(await w.api('GET', '/me', { token: json.token }), 401, 'auth.invalid_token');
      const listed = (await w.api('GET', '/tokens')).json.items.find((t: { id: string }) => t.id === json.apiToken.id);
      expect(listed.status).to.equal('expired');
      expectError(await w.api('POST', `/tokens/${json.apiToken.id}/rotate`), 409, 'token.expired');
    });

    it('enforces scopes: a read-only token reads but cannot change anything (403 insufficient_scope)', async () => {
      const { json } = await create({ name: 'reader', scopes: ['admin:read'] });
      expect((await w.api('GET', `/tenants/${w.a.tenant}/policy`, { token: json.token })).status).to.equal(200);
      const patch = await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { token: json.token, body: { lockout: { maxFailures: 9 } } });
      expectError(patch, 403, 'auth.insufficient_scope');
      expect(patch.headers.get('www-authenticate')).to.include('error="insufficient_scope", scope="admin:write"');
      expect((await w.api('GET', `/tenants/${w.a.tenant}/policy`)).json.policy.lockout.maxFailures).to.equal(5);
      expectError(await create({ name: 'escalate', scopes: ['admin:write'] }, json.token), 403, 'auth.insufficient_scope');
      expectError(await w.api('DELETE', `/tokens/${w.a.tokenId}`, { token: json.token }), 403, 'auth.insufficient_scope');

      const writer = await create({ name: 'writer', scopes: ['admin:write'] });
      expect((await w.api('GET', `/tenants/${w.a.tenant}/policy`, { token: writer.json.token })).status, 'admin:write includes admin:read').to.equal(200);
    });
  });

  describe('rotation and revocation', () => {
    it('rotates: the new token works, the old one only for the 10-minute grace period', async () => {
      const first = await create({ name: 'rolling', scopes: ['admin:read', 'admin:write'] });
      const rotated = await w.api('POST', `/tokens/${first.json.apiToken.id}/rotate`, { token: first.json.token });
      expect(rotated.status, JSON.stringify(rotated.json)).to.equal(200);
      const { token: second, apiToken } = rotated.json;
      expect(second).not.to.equal(first.json.token);
      expect(second.startsWith(`lk_${first.json.apiToken.id}_`)).to.equal(true);
      expect(Date.parse(apiToken.previousValidUntil) - Date.now()).to.be.within(9 * MINUTE, 10 * MINUTE + 5000);

      expect((await w.api('GET', '/me', { token: first.json.token })).status).to.equal(200);
      expect((await w.api('GET', '/me', { token: second })).status).to.equal(200);
      w.clock.travel(9 * MINUTE);
      expect((await w.api('GET', '/me', { token: first.json.token })).status, 'old token within the grace period').to.equal(200);
      w.clock.travel(10 * MINUTE + 2000);
      expectError(await w.api('GET', '/me', { token: first.json.token }), 401, 'auth.invalid_token');
      expect((await w.api('GET', '/me', { token: second })).status).to.equal(200);

      const third = (await w.api('POST', `/tokens/${first.json.apiToken.id}/rotate`, { token: second })).json.token as string;
      expect((await w.api('GET', '/me', { token: second })).status, 'the previous one is in its grace period').to.equal(200);
      expectError(await w.api('GET', '/me', { token: first.json.token }), 401, 'auth.invalid_token');
      expect((await w.api('GET', '/me', { token: third })).status).to.equal(200);

      const rotations = await auditEvents(w, 'api_token.rotated');
      expect(rotations.filter((e) => e.details.tokenId === first.json.apiToken.id)).to.have.length(2);
    });

    it('revokes at once, the previous secret of a rotation too, and audits it', async () => {
      const first = await create({ name: 'doomed', scopes: ['admin:read'] });
      const second = (await w.api('POST', `/tokens/${first.json.apiToken.id}/rotate`)).json.token as string;
      const revoked = await w.api('DELETE', `/tokens/${first.json.apiToken.id}`);
      expect(revoked.status).to.equal(200);
      expect(revoked.json.apiToken).to.include({ status: 'revoked', previousValidUntil: null });
      expectError(await w.api('GET', '/me', { token: second }), 401, 'auth.invalid_token');
      expectError(await w.api('GET', '/me', { token: first.json.token }), 401, 'auth.invalid_token');
      expectError(await w.api('POST', `/tokens/${first.json.apiToken.id}/rotate`), 409, 'token.revoked');
      const again = await w.api('DELETE', `/tokens/${first.json.apiToken.id}`);
      expect(again.json.apiToken.status).to.equal('revoked');
      const events = (await auditEvents(w, 'api_token.revoked')).filter((e) => e.details.tokenId === first.json.apiToken.id);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ actor: `token:${w.a.tokenId}` });
    });

    it("never lists, rotates or revokes another user's token (404), nor takes malformed ids (400)", async () => {
      const other = await addUser(w, w.a.tenant, { role: 'admin' });
      const theirs = await issueToken(w, other.id, ['admin:read'], 'theirs');
      const theirId = theirs.id;
      expect((await w.api('GET', '/tokens')).json.items.map((t: { id: string }) => t.id)).not.to.include(theirId);
      expectError(await w.api('POST', `/tokens/${theirId}/rotate`), 404, 'token.not_found');
      expectError(await w.api('DELETE', `/tokens/${theirId}`), 404, 'token.not_found');
      expectError(await w.api('DELETE', `/tokens/${w.b.tokenId}`), 404, 'token.not_found');
      expect((await w.api('GET', '/me', { token: String(theirs.token) })).status).to.equal(200);
      expect((await w.api('GET', '/me', { token: w.b.token })).status).to.equal(200);
      const bad = await w.api('POST', '/tokens/not-an-id/rotate');
      expectError(bad, 400, 'request.invalid');
      expect(bad.json.error.details.issues[0]).to.include({ in: 'path', path: 'tokenId' });
    });
  });

  describe('the user behind the token', () => {
    it("a deactivated user's tokens stop working at once; a demoted admin's get 403", async () => {
      const admin = await addUser(w, w.a.tenant, { role: 'admin' });
      const { token } = await issueToken(w, admin.id, ['admin:read']);
      expect((await w.api('GET', '/me', { token })).status).to.equal(200);
      expect((await w.api('POST', `/tenants/${w.a.tenant}/users/${admin.id}/deactivate`, { body: { reason: 'left' } })).status).to.equal(200);
      expectError(await w.api('GET', '/me', { token }), 401, 'auth.invalid_token');
      await w.api('POST', `/tenants/${w.a.tenant}/users/${admin.id}/reactivate`);

      const second = await addUser(w, w.a.tenant, { role: 'admin' });
      const secondToken = (await issueToken(w, second.id, ['admin:read'])).token;
      expect((await w.api('PATCH', `/tenants/${w.a.tenant}/users/${second.id}`, { body: { role: 'member' } })).status).to.equal(200);
      expectError(await w.api('GET', '/me', { token: secondToken }), 403, 'auth.not_admin');
    });
  });
});
