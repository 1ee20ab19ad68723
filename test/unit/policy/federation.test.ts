import { expect } from 'chai';
import {
  decideFederatedAccess,
  decideFirstSignIn,
  decideSignInForm,
  decideUpstreamSecondFactor,
  emailDomain,
  routeEmail,
  type FirstSignInInput,
  type LocalMatch,
} from '../../../src/policy/federation.ts';

const corp = { id: 'corp', domains: ['corp.example'], exclusive: false };
const locked = { id: 'locked', domains: ['locked.example', 'shared.example'], exclusive: true };
const open = { id: 'open', domains: ['shared.example'], exclusive: false };

describe('federation policy', () => {
  describe('emailDomain', () => {
    const cases: [string, string | undefined][] = [
      ['alice@corp.example', 'corp.example'],
      ['Alice@CORP.Example ', 'corp.example'],
      ['a@b@corp.example', 'corp.example'],
      ['alice', undefined],
      ['@corp.example', undefined],
      ['alice@', undefined],
      ['', undefined],
    ];
    for (const [email, domain] of cases) it(`${JSON.stringify(email)} -> ${String(domain)}`, () => expect(emailDomain(email)).to.equal(domain));
  });

  describe('home realm discovery (routeEmail)', () => {
    it("sends an email of a provider's domain to it, exactly and case-insensitively", () => {
      expect(routeEmail('bob@Corp.Example', [corp])).to.deep.equal({ kind: 'provider', providerId: 'corp', exclusive: false });
    });
    it('does not match subdomains or lookalikes', () => {
      for (const email of ['bob@mail.corp.example', 'bob@corp.example.evil', 'bob@xcorp.example']) {
        expect(routeEmail(email, [corp]), email).to.deep.equal({ kind: 'password' });
      }
    });
    it('leaves emails without a domain, or of no provider, to the password', () => {
      expect(routeEmail('bob', [corp])).to.deep.equal({ kind: 'password' });
      expect(routeEmail('bob@other.example', [corp])).to.deep.equal({ kind: 'password' });
      expect(routeEmail('bob@corp.example', [])).to.deep.equal({ kind: 'password' });
    });
    it('prefers the exclusive provider when two claim a domain, in either order', () => {
      expect(routeEmail('x@shared.example', [open, locked])).to.deep.equal({ kind: 'provider', providerId: 'locked', exclusive: true });
      expect(routeEmail('x@shared.example', [locked, open])).to.deep.equal({ kind: 'provider', providerId: 'locked', exclusive: true });
    });
  });

  describe('the sign-in form (decideSignInForm)', () => {
    const cases: [string, string, boolean, string][] = [
      ['routed email, no password', 'bob@corp.example', false, 'redirect:corp'],
      ['routed email with a password (provider not exclusive)', 'bob@corp.example', true, 'password'],
      ['exclusive provider, no password', 'bob@locked.example', false, 'redirect:locked'],
      ['exclusive provider with a password: never checked', 'bob@locked.example', true, 'redirect:locked'],
      ['unrouted email with a password', 'bob@other.example', true, 'password'],
      ['unrouted email without a password (the form says what is missing)', 'bob@other.example', false, 'password'],
    ];
    for (const [name, email, given, expected] of cases) {
      it(`${name}: ${expected}`, () => {
        const d = decideSignInForm(email, given, [corp, locked]);
        expect(d.action === 'redirect' ? `redirect:${d.providerId}` : d.action).to.equal(expected);
      });
    }
  });

  describe('first sign-in of an upstream identity (decideFirstSignIn)', () => {
    const active: LocalMatch = { status: 'active', hasPassword: true, linkedToProvider: false };
    const base: FirstSignInInput = { provisionRole: null, domains: [], upstream: { email: 'bob@corp.example', emailVerified: true } };

    it('links to an existing active user with a password only after the password (verified email)', () => {
      expect(decideFirstSignIn({ ...base, existing: active })).to.deep.equal({ action: 'link-with-password' });
      expect(decideFirstSignIn({ ...base, provisionRole: 'member', existing: active })).to.deep.equal({ action: 'link-with-password' });
    });

    for (const emailVerified of [false, undefined, 'true', 1, null]) {
      it(`never links or provisions on an unverified email (email_verified ${JSON.stringify(emailVerified)})`, () => {
        for (const existing of [active, undefined]) {
          const d = decideFirstSignIn({
            ...base,
            provisionRole: 'member',
            upstream: { email: 'bob@corp.example', emailVerified },
            ...(existing ? { existing } : {}),
          });
          expect(d).to.deep.equal({ action: 'refuse', reason: 'unverified-email' });
        }
      });
    }

    it('refuses without an email', () => {
      expect(decideFirstSignIn({ ...base, provisionRole: 'member', upstream: { emailVerified: true } })).to.deep.equal({
        action: 'refuse',
        reason: 'no-email',
      });
      expect(decideFirstSignIn({ ...base, provisionRole: 'member', upstream: { email: '  ', emailVerified: true } })).to.deep.equal({
        action: 'refuse',
        reason: 'no-email',
      });
    });

    it('refuses deactivated users, users without a password, and users already linked at the provider', () => {
      expect(decideFirstSignIn({ ...base, existing: { ...active, status: 'deactivated' } })).to.deep.equal({ action: 'refuse', reason: 'account-inactive' });
      expect(decideFirstSignIn({ ...base, existing: { ...active, status: 'invited', hasPassword: false } })).to.deep.equal({
        action: 'refuse',
        reason: 'account-without-password',
      });
      expect(decideFirstSignIn({ ...base, existing: { ...active, hasPassword: false } })).to.deep.equal({
        action: 'refuse',
        reason: 'account-without-password',
      });
      expect(decideFirstSignIn({ ...base, existing: { ...active, linkedToProvider: true } })).to.deep.equal({ action: 'refuse', reason: 'already-linked' });
    });

    it("provisions a new user with the provider's role, only when it provisions", () => {
      expect(decideFirstSignIn({ ...base, provisionRole: 'member' })).to.deep.equal({ action: 'provision', role: 'member' });
      expect(decideFirstSignIn({ ...base, provisionRole: 'admin' })).to.deep.equal({ action: 'provision', role: 'admin' });
      expect(decideFirstSignIn(base)).to.deep.equal({ action: 'refuse', reason: 'no-account' });
    });

    it("provisions only emails of the provider's domains when it has any", () => {
      const scoped = { ...base, provisionRole: 'member', domains: ['corp.example'] };
      expect(decideFirstSignIn(scoped)).to.deep.equal({ action: 'provision', role: 'member' });
      expect(decideFirstSignIn({ ...scoped, upstream: { email: 'eve@gmail.example', emailVerified: true } })).to.deep.equal({
        action: 'refuse',
        reason: 'domain-not-allowed',
      });
      expect(decideFirstSignIn({ ...scoped, upstream: { email: 'eve@sub.corp.example', emailVerified: true } })).to.deep.equal({
        action: 'refuse',
        reason: 'domain-not-allowed',
      });
    });
  });

  describe("the upstream's authentication as the second factor (decideUpstreamSecondFactor)", () => {
    const none = { amr: [], acr: [] };
    const amrTrust = { amr: ['mfa', 'otp', 'hwk'], acr: [] };
    const acrTrust = { amr: [], acr: ['urn:latchkey:acr:mfa'] };
    const cases: [string, { amr: string[]; acr: string[] }, { amr?: unknown; acr?: unknown }, boolean][] = [
      ['nothing trusted, mfa claimed', none, { amr: ['pwd', 'mfa'], acr: 'urn:latchkey:acr:mfa' }, false],
      ['amr trusted and present', amrTrust, { amr: ['pwd', 'otp', 'mfa'] }, true],
      ['amr trusted, only pwd claimed', amrTrust, { amr: ['pwd'] }, false],
      ['amr trusted, no claims', amrTrust, {}, false],
      ['amr trusted, amr not an array', amrTrust, { amr: 'mfa' }, false],
      ['amr trusted, amr with a non-string', amrTrust, { amr: ['mfa', 3] }, false],
      ['amr trusted, mfa only in acr', amrTrust, { amr: ['pwd'], acr: 'urn:latchkey:acr:mfa' }, false],
      ['acr trusted and equal', acrTrust, { acr: 'urn:latchkey:acr:mfa' }, true],
      ['acr trusted, another acr', acrTrust, { acr: 'urn:latchkey:acr:pwd', amr: ['mfa'] }, false],
      ['acr trusted, acr not a string', acrTrust, { acr: ['urn:latchkey:acr:mfa'] }, false],
      ['both trusted, only amr matches', { amr: ['mfa'], acr: ['gold'] }, { amr: ['mfa'], acr: 'silver' }, true],
      ['both trusted, only acr matches', { amr: ['mfa'], acr: ['gold'] }, { amr: ['pwd'], acr: 'gold' }, true],
    ];
    for (const [name, trust, claims, counts] of cases) {
      it(`${name}: ${counts ? 'counts' : 'does not count'}`, () => expect(decideUpstreamSecondFactor(trust, claims).counts).to.equal(counts));
    }
    it('gives its reasons', () => {
      expect(decideUpstreamSecondFactor(none, { amr: ['mfa'] }).reasons).to.deep.equal(['not-trusted']);
      expect(decideUpstreamSecondFactor(amrTrust, {}).reasons).to.deep.equal(['amr-not-trusted', 'no-claims']);
      expect(decideUpstreamSecondFactor({ amr: ['mfa'], acr: ['gold'] }, { amr: ['mfa'], acr: 'silver' }).reasons).to.deep.equal([
        'amr-trusted',
        'acr-not-trusted',
      ]);
    });
  });

  describe("a linked user's access (decideFederatedAccess)", () => {
    const now = 1_000_000;
    it('lets an active, unlocked user in', () => {
      expect(decideFederatedAccess({ status: 'active' }, undefined, now)).to.deep.equal({ allow: true });
      expect(decideFederatedAccess({ status: 'active' }, now - 1, now)).to.deep.equal({ allow: true });
    });
    it('refuses deactivated, invited and locked users', () => {
      expect(decideFederatedAccess({ status: 'deactivated' }, undefined, now)).to.deep.equal({ allow: false, reason: 'deactivated' });
      expect(decideFederatedAccess({ status: 'invited' }, undefined, now)).to.deep.equal({ allow: false, reason: 'invited' });
      expect(decideFederatedAccess({ status: 'active' }, now + 1, now)).to.deep.equal({ allow: false, reason: 'locked' });
      expect(decideFederatedAccess({ status: 'deactivated' }, now + 1, now)).to.deep.equal({ allow: false, reason: 'deactivated' });
    });
  });
});
