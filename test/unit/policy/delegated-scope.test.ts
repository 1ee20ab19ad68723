import { expect } from 'chai';
import { delegatedScope, scopeValues } from '../../../src/policy/delegated-scope.ts';

describe('delegated scope (token exchange)', () => {
  const subject = ['openid', 'orders:read', 'inventory:read'];
  const resource = ['inventory:read', 'inventory:write'];

  it('without a scope parameter: what both the subject token and the registration allow, in the registration order', () => {
    expect(delegatedScope(undefined, subject, resource)).to.deep.equal({ ok: true, scope: ['inventory:read'] });
    expect(delegatedScope(undefined, ['b', 'a'], ['a', 'b', 'c'])).to.deep.equal({ ok: true, scope: ['a', 'b'] });
    expect(delegatedScope([], ['b', 'a'], ['a', 'b'])).to.deep.equal({ ok: true, scope: ['a', 'b'] });
  });

  it('a requested scope narrower than both is kept as asked, once each', () => {
    expect(delegatedScope(['inventory:read', 'inventory:read'], subject, resource)).to.deep.equal({ ok: true, scope: ['inventory:read'] });
  });

  it('refuses a requested value the subject token lacks or the registration does not give', () => {
    expect(delegatedScope(['inventory:read', 'inventory:write'], subject, resource)).to.deep.equal({
      ok: false,
      reason: 'not_allowed',
      scope: ['inventory:write'],
    });
    expect(delegatedScope(['orders:read'], subject, resource)).to.deep.equal({ ok: false, reason: 'not_allowed', scope: ['orders:read'] });
  });

  it('refuses when nothing is shared', () => {
    expect(delegatedScope(undefined, ['openid', 'email'], resource)).to.deep.equal({ ok: false, reason: 'none_shared' });
    expect(delegatedScope(undefined, subject, [])).to.deep.equal({ ok: false, reason: 'none_shared' });
  });

  it('reads a scope parameter', () => {
    expect(scopeValues('a  b')).to.deep.equal(['a', 'b']);
    expect(scopeValues(undefined)).to.equal(undefined);
    expect(scopeValues(['a'])).to.equal(undefined);
  });
});
