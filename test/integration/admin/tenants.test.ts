import { expect } from 'chai';
import { auditEvents, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

describe('admin API: tenant and policy (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  before(async () => {
    w = await startAdminWorld();
  });
  after(() => stopAdminWorld(w));
  const policyPath = () => `/tenants/${w.a.tenant}/policy`;
  const policy = async () => (await w.api('GET', policyPath())).json.policy;

  it('shows the tenant by name (any case) or by id', async () => {
    for (const ref of [w.a.tenant, w.a.tenant.toUpperCase(), w.a.tenantId]) {
      const res = await w.api('GET', `/tenants/${ref}`);
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.equal({ id: w.a.tenantId, name: w.a.tenant, displayName: w.a.tenant, parentId: null, logoUrl: null });
    }
    const res = await w.api('GET', `/tenants/${w.a.tenant}`);
    expect(res.headers.get('cache-control')).to.equal('no-store');
  });

  it('changes the display name and logo the sign-in pages show; refuses a logo that is not a plain https URL, storing nothing', async () => {
    const path = `/tenants/${w.a.tenant}`;
    const logoUrl = 'https://cdn.acme.example/logo.png';
    const res = await w.api('PATCH', path, { body: { displayName: 'Acme Inc.', logoUrl } });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    expect(res.json).to.include({ displayName: 'Acme Inc.', logoUrl });
    const [event] = await auditEvents(w, 'tenant.updated');
    expect(event!.details).to.deep.equal({ before: { displayName: w.a.tenant, logoUrl: null }, after: { displayName: 'Acme Inc.', logoUrl } });
    for (const bad of [
      'http://cdn.acme.example/logo.png',
      'javascript:alert(1)',
      'https://user:secret@cdn.acme.example/l.png',
      `https://cdn.acme.example/${'a'.repeat(2050)}`,
      42,
    ]) {
      const refused = await w.api('PATCH', path, { body: { logoUrl: bad } });
      expect(refused.status, String(bad)).to.equal(400);
      expect(JSON.stringify(refused.json)).to.include('logoUrl');
    }
    expect((await w.api('PATCH', path, { body: { colour: 'red' } })).status).to.equal(400);
    expect((await w.api('GET', path)).json).to.include({ displayName: 'Acme Inc.', logoUrl });
    const cleared = await w.api('PATCH', path, { body: { displayName: w.a.tenant, logoUrl: null } });
    expect(cleared.json).to.include({ displayName: w.a.tenant, logoUrl: null });
  });

  it('shows the effective policy with every default filled in', async () => {
    const p = await policy();
    expect(p.lockout).to.deep.include({ maxFailures: 5, lockMinutes: 10 });
    expect(p.password.historyCount).to.equal(5);
    expect(p.mfa.mode).to.equal('optional');
  });

  it('merges a change: settings not named keep their values; the audit event holds only what changed', async () => {
    const before = await policy();
    const res = await w.api('PATCH', policyPath(), { body: { lockout: { maxFailures: 7 }, mfa: { mode: 'always' } } });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    expect(res.json.policy.lockout).to.deep.equal({ ...before.lockout, maxFailures: 7 });
    expect(res.json.policy.mfa).to.deep.equal({ ...before.mfa, mode: 'always' });
    expect(res.json.policy.password).to.deep.equal(before.password);
    expect(await policy()).to.deep.equal(res.json.policy);

    const [event] = await auditEvents(w, 'tenant.policy_updated');
    expect(event).to.include({ actor: `token:${w.a.tokenId}`, userId: null });
    expect(event!.ip).to.be.a('string');
    expect(event!.details).to.deep.equal({
      before: { lockout: { maxFailures: 5 }, mfa: { mode: 'optional' } },
      after: { lockout: { maxFailures: 7 }, mfa: { mode: 'always' } },
    });

    const again = await w.api('PATCH', policyPath(), { body: { lockout: { maxFailures: 7 } } });
    expect(again.status).to.equal(200);
    expect(await auditEvents(w, 'tenant.policy_updated'), 'a change to the same value is no change').to.have.length(1);
  });

  it('refuses wrong types, out-of-range values and unknown settings with the path of each, storing nothing', async () => {
    const before = await policy();
    for (const [body, path] of [
      [{ lockout: { maxFailures: '7' } }, 'lockout.maxFailures'],
      [{ lockout: { maxFailures: 0 } }, 'lockout.maxFailures'],
      [{ password: { minLength: 3 } }, 'password.minLength'],
      [{ mfa: { mode: 'sometimes' } }, 'mfa.mode'],
      [{ lockout: { maxFailures: 6, lockForever: true } }, 'lockout'],
      [{ firewall: {} }, ''],
      [{ network: { allowlist: ['not an address'] } }, 'network.allowlist.0'],
      [{ mfa: { phoneCountries: ['GB', 'UK'] } }, 'mfa.phoneCountries.1'],
      [{ mfa: { phoneSendsPerIpPerHour: 0 } }, 'mfa.phoneSendsPerIpPerHour'],
      [{ network: { allowlist: Array.from({ length: 501 }, (_, i) => `10.0.${i % 250}.1`) } }, 'network.allowlist'],
      [[], ''],
    ] as const) {
      const res = await w.api('PATCH', policyPath(), { body });
      expectError(res, 400, 'request.invalid');
      expect(
        res.json.error.details.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body).slice(0, 80),
      ).to.include(path);
    }
    const whole = await w.api('PATCH', policyPath(), { body: { network: { strict: true } } });
    expectError(whole, 400, 'tenant.invalid_policy');
    expect(whole.json.error.message).to.include('network.strict');
    expect(await policy()).to.deep.equal(before);
  });

  it('takes the phone settings: the countries whose numbers get codes, in capitals, and the per-IP and per-prefix send limits', async () => {
    const res = await w.api('PATCH', policyPath(), {
      body: { mfa: { phoneCountries: ['gb', 'IE'], phoneSendsPerIpPerHour: 7, phoneSendsPerPrefixPerHour: 3 } },
    });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    expect(res.json.policy.mfa).to.deep.include({ phoneCountries: ['GB', 'IE'], phoneSendsPerIpPerHour: 7, phoneSendsPerPrefixPerHour: 3 });
    expect((await policy()).mfa.phoneCountries).to.deep.equal(['GB', 'IE']);
  });

  it('answers malformed JSON, other media types, oversized and bodiless writes with the documented 4xx', async () => {
    expectError(await w.api('PATCH', policyPath(), { raw: '{"lockout": {', headers: { 'content-type': 'application/json' } }), 400, 'request.invalid_json');
    expectError(await w.api('PATCH', policyPath(), { raw: '"just a string"', headers: { 'content-type': 'application/json' } }), 400, 'request.invalid_json');
    expectError(
      await w.api('PATCH', policyPath(), { raw: 'lockout=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'request.unsupported_media_type',
    );
    const huge = { network: { allowlist: Array.from({ length: 4000 }, (_, i) => `2001:db8::${i.toString(16)}/128`) } };
    expect(JSON.stringify(huge).length).to.be.greaterThan(64 * 1024);
    expectError(await w.api('PATCH', policyPath(), { body: huge }), 413, 'request.too_large');
    const empty = await w.api('PATCH', policyPath());
    expectError(empty, 400, 'request.invalid');
    expect(empty.json.error.details.issues[0]).to.include({ in: 'body', path: '' });
    expectError(await w.api('GET', `${policyPath()}?verbose=1`), 400, 'request.invalid');
  });

  it('refuses a name longer than any tenant name and never answers 5xx for odd paths', async () => {
    expectError(await w.api('GET', `/tenants/${'x'.repeat(300)}`), 403, 'tenant.forbidden');
    for (const path of ['/tenants/%00', '/tenants/%E0%A4%A', `/tenants/${encodeURIComponent('../../etc/passwd')}`, '/tenants/ /users']) {
      const res = await w.api('GET', path);
      expect(res.status, path).to.be.within(400, 499);
      expect(res.json.error.code, path).to.be.a('string');
    }
  });
});
