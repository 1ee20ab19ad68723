import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLAIM_LABELS,
  OIDC_SCOPES,
  SCOPE_CLAIMS,
  SIGN_IN_CLAIMS,
  askedByRequest,
  claimsOfScopes,
  consentItems,
  releasedClaims,
} from '../../../src/policy/claims.ts';

const user = {
  sub: 'u1',
  email: 'bob@example.com',
  email_verified: true,
  given_name: 'Bob',
  family_name: 'Stone',
  name: 'Bob Stone',
  tenant_id: 't1',
  tenant_name: 'acme',
  role: 'admin',
};

describe('policy: claims', () => {
  it('knows the scopes and the claims each releases', () => {
    expect(OIDC_SCOPES).to.deep.equal(['openid', 'offline_access', 'email', 'profile', 'roles']);
    expect([...claimsOfScopes(['openid', 'roles', 'unknown'])]).to.deep.equal(['sub', 'acr', 'amr', 'auth_time', 'tenant_id', 'tenant_name', 'role']);
  });

  it('releases the claims of the scopes plus the claims asked', () => {
    expect(releasedClaims(user, 'openid email')).to.deep.equal({ sub: 'u1', email: 'bob@example.com', email_verified: true });
    expect(releasedClaims(user, 'openid', { given_name: null, role: { essential: true } })).to.deep.equal({ sub: 'u1', given_name: 'Bob', role: 'admin' });
    // what the user lacks is no claim
    expect(releasedClaims({ sub: 'u1', locale: undefined }, 'openid profile', { locale: null })).to.deep.equal({ sub: 'u1' });
  });

  it('releases a claim asked with value or values only when it matches, whatever the scope', () => {
    expect(releasedClaims(user, 'openid roles', { role: { value: 'admin' } })).to.include({ role: 'admin' });
    expect(releasedClaims(user, 'openid roles', { role: { value: 'owner', essential: true } })).to.not.have.property('role');
    expect(releasedClaims(user, 'openid', { role: { values: ['member', 'admin'] } })).to.deep.equal({ sub: 'u1', role: 'admin' });
    expect(releasedClaims(user, 'openid', { role: { values: ['member'] } })).to.deep.equal({ sub: 'u1' });
    expect(releasedClaims(user, 'openid', { role: { values: 'admin' } as never })).to.deep.equal({ sub: 'u1' });
    expect(releasedClaims(user, 'openid email', { email_verified: { value: false } })).to.deep.equal({ sub: 'u1', email: 'bob@example.com' });
    // sub is oidc-provider's to check
    expect(releasedClaims(user, 'openid', { sub: { value: 'someone else' } })).to.deep.equal({ sub: 'u1' });
  });

  it('lists on a consent page the sign-in, each claim once, offline access, then the scopes of APIs', () => {
    expect(
      consentItems({ scopes: ['openid', 'offline_access', 'email'], claims: ['email', 'role', 'acr', 'phone_number'], resourceScopes: ['reports:read'] }),
    ).to.deep.equal([
      { key: 'consent.scope.openid' },
      { key: 'consent.claim.email' },
      { key: 'consent.claim.email_verified' },
      { key: 'consent.claim.role' },
      { text: 'phone_number' },
      { key: 'consent.scope.offline_access' },
      { text: 'reports:read' },
    ]);
    expect(consentItems({ scopes: [], claims: ['tenant_name'], resourceScopes: [] })).to.deep.equal([{ key: 'consent.claim.tenant_name' }]);
  });

  it('reads the whole request for a consent asked again: OpenID scopes and the known claims of the claims parameter', () => {
    expect(
      askedByRequest({ scope: 'openid email reports:read', claims: '{"id_token":{"role":null,"acr":null},"userinfo":{"email":{},"shoe_size":null}}' }),
    ).to.deep.equal({
      scopes: ['openid', 'email'],
      claims: ['role', 'email'],
      resourceScopes: [],
    });
    expect(askedByRequest({ scope: 'openid', claims: '{"userinfo":' })).to.deep.equal({ scopes: ['openid'], claims: [], resourceScopes: [] });
    expect(askedByRequest({})).to.deep.equal({ scopes: [], claims: [], resourceScopes: [] });
  });

  it('has a text in the catalogue for every user claim of a scope and every consent line', () => {
    const english = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'views', 'locales', 'en.json'), 'utf8')) as Record<string, string>;
    const userClaims = Object.values(SCOPE_CLAIMS)
      .flat()
      .filter((c) => !SIGN_IN_CLAIMS.has(c));
    expect(Object.keys(CLAIM_LABELS).sort()).to.deep.equal([...userClaims].sort());
    const keys = [...Object.values(CLAIM_LABELS), 'consent.scope.openid', 'consent.scope.offline_access'];
    expect(keys.filter((k) => !(k in english))).to.deep.equal([]);
  });
});
