import { expect } from 'chai';
import * as oidc from 'openid-client';
import { discover } from '../../support/relying-party.ts';
import { auditEvents, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

/** the OAuth error of a refused token request: in the body, or in the WWW-Authenticate challenge of a 401 */
const clientError = (err: unknown) =>
  err instanceof oidc.WWWAuthenticateChallengeError ? err.cause[0]?.parameters.error : (err as oidc.ResponseBodyError).error;

describe('admin API: clients (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let clients: string;
  before(async () => {
    w = await startAdminWorld();
    clients = `/tenants/${w.a.tenant}/clients`;
  });
  after(() => stopAdminWorld(w));
  afterEach(() => w.clock.travel(0));

  const machine = (name = 'Reports worker') =>
    w.api('POST', clients, {
      body: { name, grants: ['client_credentials'], resources: [{ resource: 'https://reports.example.test', scope: 'reports:read' }] },
    });
  const credentialsGrant = async (clientId: string, clientSecret: string) => {
    const config = await discover(w.f.server.url, { clientId, clientSecret, redirectUri: 'unused' });
    return oidc.clientCredentialsGrant(config, { resource: 'https://reports.example.test', scope: 'reports:read' });
  };

  it('registers a client: the secret is shown once and kept only sealed; lists never show it', async () => {
    const res = await machine();
    expect(res.status, JSON.stringify(res.json)).to.equal(201);
    const { client, clientSecret } = res.json;
    expect(client).to.deep.include({ name: 'Reports worker', public: false, firstParty: true, grants: ['client_credentials'], redirectUris: [] });
    expect(clientSecret).to.be.a('string').with.length.greaterThan(30);
    expect((await credentialsGrant(client.clientId, clientSecret)).access_token).to.be.a('string');

    const [stored] = await w.f.server.container.db.em().getConnection().execute('select * from clients where id = ?', [client.clientId]);
    expect(JSON.stringify(stored)).not.to.include(clientSecret);
    const list = await w.api('GET', clients);
    expect(JSON.stringify(list.json)).not.to.include(clientSecret);
    expect(list.json.items.map((c: { clientId: string }) => c.clientId)).to.include(client.clientId);
    expect((await w.api('GET', `${clients}/${client.clientId}`)).json).to.deep.equal(client);
    const [event] = (await auditEvents(w, 'client.created')).filter((e) => e.details.clientId === client.clientId);
    expect(event).to.include({ actor: `token:${w.a.tokenId}` });
    expect(event!.details.after).to.deep.equal(client);
    expect(JSON.stringify(event)).not.to.include(clientSecret);
  });

  it('registers a public client without a secret', async () => {
    const res = await w.api('POST', clients, { body: { name: 'SPA', public: true, redirectUris: ['https://spa.example.test/cb'] } });
    expect(res.status).to.equal(201);
    expect(res.json.client.public).to.equal(true);
    expect(res.json).not.to.have.property('clientSecret');
    expectError(await w.api('POST', `${clients}/${res.json.client.clientId}/rotate-secret`), 409, 'client.public');
  });

  it('refuses bad registrations with 400', async () => {
    for (const [body, code, path] of [
      [{ name: '' }, 'request.invalid', 'name'],
      [{ name: 'x'.repeat(201), redirectUris: ['https://a.example/cb'] }, 'request.invalid', 'name'],
      [{ name: 'x', redirectUris: ['javascript:alert(1)'] }, 'request.invalid', 'redirectUris.0'],
      [{ name: 'x', redirectUris: ['https://a.example/cb#frag'] }, 'request.invalid', 'redirectUris.0'],
      [{ name: 'x', redirectUris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) }, 'request.invalid', 'redirectUris'],
      [{ name: 'x', grants: ['password'] }, 'request.invalid', 'grants.0'],
      [{ name: 'x', tenantId: w.b.tenantId, redirectUris: ['https://a.example/cb'] }, 'request.invalid', ''],
      [{ name: 'x', public: 'yes', redirectUris: ['https://a.example/cb'] }, 'request.invalid', 'public'],
      [{ name: 'x' }, 'client.invalid', undefined],
      [{ name: 'x', public: true, grants: ['client_credentials'] }, 'client.invalid', undefined],
    ] as const) {
      const res = await w.api('POST', clients, { body });
      expectError(res, 400, code);
      if (path !== undefined)
        expect(
          res.json.error.details.issues.map((i: { path: string }) => i.path),
          JSON.stringify(body).slice(0, 60),
        ).to.include(path);
    }
    expect((await w.api('GET', `/tenants/${w.b.tenant}/clients`, { token: w.b.token })).json.items).to.deep.equal([]);
  });

  it('rotates the secret: the new one works, the old one stops once the client cache expires', async () => {
    const { json } = await machine('Rotating worker');
    const rotated = await w.api('POST', `${clients}/${json.client.clientId}/rotate-secret`);
    expect(rotated.status, JSON.stringify(rotated.json)).to.equal(200);
    expect(rotated.json.clientId).to.equal(json.client.clientId);
    expect(rotated.json.clientSecret).to.be.a('string').and.not.equal(json.clientSecret);
    w.clock.travel(6000);
    expect((await credentialsGrant(json.client.clientId, rotated.json.clientSecret)).access_token).to.be.a('string');
    const old = await credentialsGrant(json.client.clientId, json.clientSecret).catch((e: unknown) => e);
    expect(clientError(old)).to.equal('invalid_client');
    const [event] = (await auditEvents(w, 'client.secret_rotated')).filter((e) => e.details.clientId === json.client.clientId);
    expect(event).to.include({ actor: `token:${w.a.tokenId}` });
    expect(JSON.stringify(event)).not.to.include(rotated.json.clientSecret);
  });

  it('replaces redirect URIs, audited with before/after; keeps one for authorization_code', async () => {
    const created = await w.api('POST', clients, { body: { name: 'Web', redirectUris: ['https://web.example.test/cb'] } });
    const id = created.json.client.clientId;
    const res = await w.api('PATCH', `${clients}/${id}`, { body: { redirectUris: ['https://web.example.test/cb2', 'https://web.example.test/cb3'] } });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    expect(res.json.redirectUris).to.deep.equal(['https://web.example.test/cb2', 'https://web.example.test/cb3']);
    expect(res.json.postLogoutRedirectUris).to.deep.equal([]);
    const [event] = (await auditEvents(w, 'client.updated')).filter((e) => e.details.clientId === id);
    expect(event!.details.before).to.deep.equal({ redirectUris: ['https://web.example.test/cb'] });
    expect(event!.details.after).to.deep.equal({ redirectUris: ['https://web.example.test/cb2', 'https://web.example.test/cb3'] });

    expectError(await w.api('PATCH', `${clients}/${id}`, { body: { redirectUris: [] } }), 400, 'client.invalid');
    expectError(await w.api('PATCH', `${clients}/${id}`, { body: { redirectUris: ['data:text/html,hi'] } }), 400, 'request.invalid');
    expectError(await w.api('PATCH', `${clients}/${id}`, { body: { name: 'renamed' } }), 400, 'request.invalid');
    expectError(await w.api('PATCH', `${clients}/${id}`, { body: { redirectUris: 'https://web.example.test/cb' } }), 400, 'request.invalid');
    expectError(await w.api('PATCH', `${clients}/no-such-client`, { body: { redirectUris: ['https://a.example/cb'] } }), 404, 'client.not_found');
    expectError(await w.api('PATCH', `${clients}/${'x'.repeat(65)}`, { body: { redirectUris: ['https://a.example/cb'] } }), 400, 'request.invalid');
    expect((await w.api('GET', `${clients}/${id}`)).json.redirectUris).to.have.length(2);
  });

  it('deletes a client (204): it is gone and gets no more tokens', async () => {
    const { json } = await machine('Doomed worker');
    const del = await w.api('DELETE', `${clients}/${json.client.clientId}`);
    expect(del.status).to.equal(204);
    expectError(await w.api('GET', `${clients}/${json.client.clientId}`), 404, 'client.not_found');
    expectError(await w.api('DELETE', `${clients}/${json.client.clientId}`), 404, 'client.not_found');
    w.clock.travel(6000);
    const refused = await credentialsGrant(json.client.clientId, json.clientSecret).catch((e: unknown) => e);
    expect(clientError(refused)).to.equal('invalid_client');
    const [event] = (await auditEvents(w, 'client.deleted')).filter((e) => e.details.clientId === json.client.clientId);
    expect(event!.details.before.name).to.equal('Doomed worker');
  });
});
