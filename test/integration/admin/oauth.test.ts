import { expect } from 'chai';
import * as oidc from 'openid-client';
import { createClient } from '../../support/accounts.ts';
import { discover, signIn } from '../../support/relying-party.ts';
import type { RegisteredTestClient } from '../../support/relying-party.ts';
import { adminAudience } from '../../../src/admin/router.ts';
import { addUser, expectError, PASSWORD, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

/**
 * OAuth access tokens from Latchkey itself: a client registered for the admin API's resource
 * indicator gets JWT access tokens whose audience is the admin API; the scope decides reads or writes.
 */
describe('admin API: OAuth access tokens (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let client: RegisteredTestClient;
  let config: oidc.Configuration;
  let audience: string;
  before(async () => {
    w = await startAdminWorld();
    audience = adminAudience(w.f.server.url);
    const created = await createClient(w.f, {
      tenant: w.a.tenant,
      name: 'Admin console',
      redirectUris: ['http://127.0.0.1:9/admin-cb'],
      grants: ['authorization_code'],
      resources: [{ resource: audience, scope: 'admin:read admin:write' }],
    });
    client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/admin-cb' };
    config = await discover(w.f.server.url, client);
  });
  after(() => stopAdminWorld(w));

  const accessToken = async (email: string, scope: string) => {
    const result = await signIn(config, client, { email, password: PASSWORD }, { scope: `openid ${scope}`, extra: { resource: audience } });
    const tokens = await oidc.authorizationCodeGrant(
      config,
      result.callbackUrl,
      {
        pkceCodeVerifier: result.codeVerifier,
        expectedState: result.state,
        expectedNonce: result.nonce,
      },
      { resource: audience },
    );
    return tokens.access_token;
  };

  it('accepts a JWT access token for the admin audience, with the scopes it carries', async () => {
    const token = await accessToken(w.a.email, 'admin:read admin:write');
    expect(token.split('.')).to.have.length(3);
    const me = await w.api('GET', '/me', { token });
    expect(me.status, JSON.stringify(me.json)).to.equal(200);
    expect(me.json).to.include({ userId: w.a.userId, tenantId: w.a.tenantId, via: 'oauth', tokenId: null });
    expect(me.json.scopes).to.have.members(['admin:read', 'admin:write']);
    const patched = await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { token, body: { lockout: { lockMinutes: 15 } } });
    expect(patched.status, JSON.stringify(patched.json)).to.equal(200);
    const events = (await w.api('GET', `/tenants/${w.a.tenant}/audit-events?action=tenant.policy_updated`)).json.items;
    expect(events[0]).to.include({ actor: `admin:${w.a.userId}` });
    expectError(await w.api('GET', `/tenants/${w.b.tenant}`, { token }), 403, 'tenant.forbidden');
  });

  it('a token with admin:read only cannot change anything', async () => {
    const token = await accessToken(w.a.email, 'admin:read');
    expect((await w.api('GET', `/tenants/${w.a.tenant}/users`, { token })).status).to.equal(200);
    expectError(await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { token, body: { lockout: { lockMinutes: 20 } } }), 403, 'auth.insufficient_scope');
  });

  it('refuses tokens for another audience, client-credentials tokens and tokens of users who are not admins', async () => {
    const machine = await discover(w.f.server.url, { ...w.f.machine, redirectUri: 'unused' });
    const elsewhere = await oidc.clientCredentialsGrant(machine, { resource: 'https://api.example.test', scope: 'reports:read' });
    expectError(await w.api('GET', '/me', { token: elsewhere.access_token }), 401, 'auth.invalid_token');

    const robot = await createClient(w.f, {
      tenant: w.a.tenant,
      name: 'Robot',
      grants: ['client_credentials'],
      resources: [{ resource: audience, scope: 'admin:read' }],
    });
    const robotConfig = await discover(w.f.server.url, { clientId: robot.clientId, clientSecret: String(robot.clientSecret), redirectUri: 'unused' });
    const cc = await oidc.clientCredentialsGrant(robotConfig, { resource: audience, scope: 'admin:read' });
    expectError(await w.api('GET', '/me', { token: cc.access_token }), 401, 'auth.invalid_token');

    const member = await addUser(w, w.a.tenant);
    expectError(await w.api('GET', '/me', { token: await accessToken(member.email, 'admin:read') }), 403, 'auth.not_admin');

    const [header, payload] = (await accessToken(w.a.email, 'admin:read')).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'admin:write' })).toString('base64url')}.${'A'.repeat(86)}`;
    expectError(await w.api('GET', '/me', { token: forged }), 401, 'auth.invalid_token');
  });

  it("a deactivated admin's access token stops working at once", async () => {
    const admin = await addUser(w, w.a.tenant, { role: 'admin' });
    const token = await accessToken(admin.email, 'admin:read');
    expect((await w.api('GET', '/me', { token })).status).to.equal(200);
    expect((await w.api('POST', `/tenants/${w.a.tenant}/users/${admin.id}/deactivate`)).status).to.equal(200);
    expectError(await w.api('GET', '/me', { token }), 401, 'auth.invalid_token');
  });

  it('refuses an expired access token (the clock decides)', async () => {
    const token = await accessToken(w.a.email, 'admin:read');
    try {
      w.clock.travel(2 * 3600_000);
      expectError(await w.api('GET', '/me', { token }), 401, 'auth.invalid_token');
    } finally {
      w.clock.travel(0);
    }
  });
});
