import { expect } from 'chai';
import {
  decideReauthentication,
  demandsFreshAuthentication,
  mayRemoveLinkedIdentity,
  unlockMethod,
  type PendingReauthentication,
  type ReturningSession,
} from '../../../src/policy/reauthentication.ts';

describe('re-authentication policy', () => {
  describe('demandsFreshAuthentication', () => {
    const cases: [Record<string, unknown>, boolean][] = [
      [{ prompt: 'login' }, true],
      [{ prompt: 'consent login' }, true],
      [{ max_age: 0 }, true],
      [{ max_age: '0' }, true],
      [{}, false],
      [{ prompt: 'consent' }, false],
      [{ prompt: 'none' }, false],
      [{ max_age: 300 }, false],
      [{ max_age: '60' }, false],
      [{ prompt: ['login'] }, false],
      [{ max_age: '' }, false],
      [{ prompt: 'loginx' }, false],
    ];
    for (const [params, fresh] of cases) it(`${JSON.stringify(params)} -> ${fresh}`, () => expect(demandsFreshAuthentication(params)).to.equal(fresh));
  });

  describe('decideReauthentication', () => {
    const pending: PendingReauthentication = { userId: 'u1', sessionUid: 'uid-1', sessionId: 'jti-1', requestedAt: 1_000 };
    const fresh: ReturningSession = { userId: 'u1', sessionUid: 'uid-1', sessionId: 'jti-2', authTime: 1_005 };

    it('opens for the same user and session after an authentication made since the request', () => {
      expect(decideReauthentication(pending, fresh)).to.deep.equal({ unlock: true });
      // oidc-provider counts whole seconds: an authentication in the request's second is not before it
      expect(decideReauthentication(pending, { ...fresh, authTime: 1_000 })).to.deep.equal({ unlock: true });
    });
    it('refuses another user', () => {
      expect(decideReauthentication(pending, { ...fresh, userId: 'u2' })).to.deep.equal({ unlock: false, reason: 'other-user' });
    });
    it('refuses another browser session, even of the same user', () => {
      expect(decideReauthentication(pending, { ...fresh, sessionUid: 'uid-2' })).to.deep.equal({ unlock: false, reason: 'other-session' });
    });
    it('refuses a session that went through no sign-in since the request (same id)', () => {
      expect(decideReauthentication(pending, { ...fresh, sessionId: 'jti-1' })).to.deep.equal({ unlock: false, reason: 'not-fresh' });
    });
    it('refuses an authentication older than the request, or none', () => {
      expect(decideReauthentication(pending, { ...fresh, authTime: 999 })).to.deep.equal({ unlock: false, reason: 'not-fresh' });
      expect(decideReauthentication(pending, { ...fresh, authTime: undefined })).to.deep.equal({ unlock: false, reason: 'not-fresh' });
    });
    it('checks the user before the session and the session before freshness', () => {
      expect(decideReauthentication(pending, { userId: 'u2', sessionUid: 'uid-2', sessionId: 'jti-1', authTime: 1 })).to.deep.equal({
        unlock: false,
        reason: 'other-user',
      });
      expect(decideReauthentication(pending, { ...fresh, sessionUid: 'uid-2', authTime: 1 })).to.deep.equal({ unlock: false, reason: 'other-session' });
    });
  });

  describe('unlockMethod and mayRemoveLinkedIdentity', () => {
    const cases: [boolean, number, 'password' | 'upstream' | 'none', boolean][] = [
      [true, 0, 'password', true],
      [true, 1, 'password', true],
      [true, 2, 'password', true],
      [false, 0, 'none', false],
      [false, 1, 'upstream', false],
      [false, 2, 'upstream', true],
      [false, 3, 'upstream', true],
    ];
    for (const [hasPassword, linkedIdentities, method, removable] of cases) {
      it(`password ${hasPassword}, ${linkedIdentities} identities: ${method}, removable ${removable}`, () => {
        expect(unlockMethod({ hasPassword, linkedIdentities })).to.equal(method);
        expect(mayRemoveLinkedIdentity({ hasPassword, linkedIdentities })).to.equal(removable);
      });
    }
  });
});
