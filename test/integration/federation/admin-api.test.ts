import { expect } from 'chai';
import { auditEvents, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from '../admin/support.ts';
import { UpstreamProviderEntity } from '../../../src/store/entities/index.ts';
import { runCli } from '../../support/cli.ts';

describe("federation: a tenant's upstream providers through the admin API", function () {
  this.timeout(60_000);
  let w: AdminWorld;
  before(async () => {
    w = await startAdminWorld('postgres');
  });
  after(() => stopAdminWorld(w));

  const fields = {
    slug: 'corp',
    label: 'Corp IdP',
    issuer: 'https://idp.corp.example',
    clientId: 'latchkey',
    clientSecret: 'upstream-secret-value-1',
    domains: ['corp.example'],
    exclusive: true,
    provisionRole: 'member',
    mfaAmr: ['mfa'],
  };

  it('creates, lists, changes and removes a provider; the secret is write-only and stored sealed', async () => {
    const created = await w.api('POST', `/tenants/${w.a.tenant}/providers`, { token: w.a.token, body: fields });
    expect(created.status, JSON.stringify(created.json)).to.equal(201);
    expect(created.json).to.include({ slug: 'corp', exclusive: true, provisionRole: 'member', callbackUrl: `${w.f.server.url}/federation/callback` });
    expect(created.json.scopes).to.deep.equal(['openid', 'email', 'profile']);
    expect(JSON.stringify(created.json)).to.not.include('upstream-secret-value-1');
    const row = await w.f.server.container.db.em().findOne(UpstreamProviderEntity, { id: created.json.id });
    expect(row!.clientSecretSealed).to.match(/^v1\./).and.not.include('upstream-secret-value-1');

    const listed = await w.api('GET', `/tenants/${w.a.tenant}/providers`, { token: w.a.token });
    expect(listed.json.items.map((p: { slug: string }) => p.slug)).to.deep.equal(['corp']);
    expect(JSON.stringify(listed.json)).to.not.include('secret-value');

    const changed = await w.api('PATCH', `/tenants/${w.a.tenant}/providers/corp`, {
      token: w.a.token,
      body: { label: 'Corp SSO', clientSecret: 'upstream-secret-value-2' },
    });
    expect(changed.status, JSON.stringify(changed.json)).to.equal(200);
    expect(changed.json.label).to.equal('Corp SSO');
    const secret = await w.f.server.container.federation.providers.clientSecret((await w.f.server.container.federation.providers.find(w.a.tenantId, 'corp'))!);
    expect(secret).to.equal('upstream-secret-value-2');
    const updates = await auditEvents(w, 'federation.provider_updated');
    expect(updates[0]!.details).to.deep.include({ provider: 'corp', secretReplaced: true, before: { label: 'Corp IdP' }, after: { label: 'Corp SSO' } });
    expect(JSON.stringify(updates)).to.not.include('secret-value');

    expect((await w.api('DELETE', `/tenants/${w.a.tenant}/providers/corp`, { token: w.a.token })).status).to.equal(204);
    expectError(await w.api('GET', `/tenants/${w.a.tenant}/providers/corp`, { token: w.a.token }), 404, 'provider.not_found');
    expect((await auditEvents(w, 'federation.provider_deleted'))[0]!.details).to.include({ provider: 'corp' });
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    const post = (body: unknown) => w.api('POST', `/tenants/${w.a.tenant}/providers`, { token: w.a.token, body });
    expectError(await post({ ...fields, issuer: 'http://idp.corp.example' }), 400, 'provider.insecure_issuer');
    expectError(await post({ ...fields, issuer: 'not a url' }), 400, 'request.invalid');
    expectError(await post({ ...fields, domains: ['not a domain'] }), 400, 'request.invalid');
    expectError(await post({ ...fields, domains: [] }), 400, 'request.invalid');
    expectError(await post({ ...fields, provisionRole: 'superuser' }), 400, 'request.invalid');
    expectError(await post({ ...fields, unknown: 1 }), 400, 'request.invalid');
    expect((await post({ ...fields, slug: 'one' })).status).to.equal(201);
    expectError(await post({ ...fields, slug: 'one', domains: ['other.example'] }), 409, 'provider.exists');
    expectError(await post({ ...fields, slug: 'two' }), 409, 'provider.domain_taken');
    expectError(
      await w.api('PATCH', `/tenants/${w.a.tenant}/providers/one`, { token: w.a.token, body: { domains: [] } }),
      400,
      'provider.exclusive_without_domains',
    );
    const listed = await w.api('GET', `/tenants/${w.a.tenant}/providers`, { token: w.a.token });
    expect(listed.json.items.map((p: { slug: string; domains: string[] }) => [p.slug, p.domains])).to.deep.equal([['one', ['corp.example']]]);
  });

  it("keeps each tenant's providers to itself", async () => {
    expectError(await w.api('GET', `/tenants/${w.a.tenant}/providers`, { token: w.b.token }), 403, 'tenant.forbidden');
    const theirs = await w.api('GET', `/tenants/${w.b.tenant}/providers/one`, { token: w.b.token });
    expectError(theirs, 404, 'provider.not_found');
  });
});

describe('federation: latchkey provider add | list | remove', function () {
  this.timeout(60_000);
  let w: AdminWorld;
  before(async () => {
    w = await startAdminWorld('postgres');
  });
  after(() => stopAdminWorld(w));

  it('adds a provider with the secret from an environment variable, lists it without the secret, removes it', async () => {
    const env = { ...w.env, CORP_SECRET: 'cli-secret-value-9' };
    const added = await runCli(env, [
      'provider',
      'add',
      '--tenant',
      w.a.tenant,
      '--name',
      'corp',
      '--label',
      'Corp',
      '--issuer',
      'https://idp.corp.example',
      '--client-id',
      'lk',
      '--client-secret-env',
      'CORP_SECRET',
      '--domain',
      'corp.example,corp.test',
      '--provision-role',
      'member',
      '--mfa-amr',
      'mfa',
    ]);
    expect(added.code, added.stderr).to.equal(0);
    const out = added.json as { provider: { domains: string[] }; callback_url: string };
    expect(out.provider.domains).to.deep.equal(['corp.example', 'corp.test']);
    expect(out.callback_url).to.equal(`${w.f.server.url}/federation/callback`);
    const secret = await w.f.server.container.federation.providers.clientSecret((await w.f.server.container.federation.providers.find(w.a.tenantId, 'corp'))!);
    expect(secret).to.equal('cli-secret-value-9');

    const listed = await runCli(w.env, ['provider', 'list', '--tenant', w.a.tenant]);
    expect(listed.json.providers).to.deep.equal([
      {
        name: 'corp',
        label: 'Corp',
        issuer: 'https://idp.corp.example',
        client_id: 'lk',
        scopes: ['openid', 'email', 'profile'],
        domains: ['corp.example', 'corp.test'],
        exclusive: false,
        provision_role: 'member',
        mfa_amr: ['mfa'],
        mfa_acr: [],
      },
    ]);
    expect(listed.stdout).to.not.include('cli-secret-value-9');

    const refused = await runCli(w.env, [
      'provider',
      'add',
      '--tenant',
      w.a.tenant,
      '--name',
      'bad',
      '--label',
      'Bad',
      '--issuer',
      'https://x.example',
      '--client-id',
      'lk',
      '--client-secret',
      's',
      '--domain',
      'not a domain',
    ]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('--domain: must be a domain name');

    const removed = await runCli(w.env, ['provider', 'remove', '--tenant', w.a.tenant, '--name', 'corp']);
    expect(removed.code, removed.stderr).to.equal(0);
    expect(await w.f.server.container.federation.providers.list(w.a.tenantId)).to.deep.equal([]);
  });
});
