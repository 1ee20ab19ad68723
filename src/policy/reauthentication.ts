/**
 * Decisions of "confirm it's you" through an upstream provider, which opens the account's
 * security section for users without a local password (docs/account-console.md). Pure: the
 * caller reads the pending request, the browser's session and the user's sign-in methods.
 */

/** the authorization parameters that say whether an interaction demands a fresh authentication */
export interface FreshnessRequest {
  prompt?: unknown;
  max_age?: unknown;
}

/**
 * prompt=login, or max_age=0, asks for an authentication made now: a federated sign-in then asks
 * the upstream for one too (prompt=login and max_age=0), and checks the auth_time it returns.
 * A longer max_age is left to Latchkey's own session check (the upstream is not asked).
 */
export function demandsFreshAuthentication(params: FreshnessRequest): boolean {
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ') : [];
  const maxAge = typeof params.max_age === 'string' && /^\d+$/.test(params.max_age) ? Number(params.max_age) : params.max_age;
  return prompts.includes('login') || maxAge === 0;
}

/** what the console kept when the user pressed "Confirm it's you with ..." */
export interface PendingReauthentication {
  userId: string;
  /** the provider session's stable uid (its id changes at every sign-in; the uid stays) */
  sessionUid: string;
  /** the provider session's id then: an interaction that completes gives the session a new one */
  sessionId: string;
  /** epoch seconds */
  requestedAt: number;
}

/** the browser's provider session when it comes back */
export interface ReturningSession {
  userId: string;
  sessionUid: string;
  sessionId: string;
  /** epoch seconds of the session's last authentication (oidc-provider's loginTs), if any */
  authTime: number | undefined;
}

export type ReauthenticationRefusal = 'other-user' | 'other-session' | 'not-fresh';

/**
 * The section opens only for the user who asked, in the browser session that asked, after an
 * authentication made since the request: the session went through a sign-in in between (its id
 * changed) and its auth time is not before the request (oidc-provider counts in whole seconds).
 */
export function decideReauthentication(
  pending: PendingReauthentication,
  session: ReturningSession,
): { unlock: true } | { unlock: false; reason: ReauthenticationRefusal } {
  if (session.userId !== pending.userId) return { unlock: false, reason: 'other-user' };
  if (session.sessionUid !== pending.sessionUid) return { unlock: false, reason: 'other-session' };
  if (session.sessionId === pending.sessionId || session.authTime === undefined || session.authTime < pending.requestedAt) {
    return { unlock: false, reason: 'not-fresh' };
  }
  return { unlock: true };
}

/** how the security section is opened for a user: the password when there is one, else an upstream sign-in */
export function unlockMethod(user: { hasPassword: boolean; linkedIdentities: number }): 'password' | 'upstream' | 'none' {
  if (user.hasPassword) return 'password';
  return user.linkedIdentities > 0 ? 'upstream' : 'none';
}

/** a user without a password keeps at least one linked identity: without it there is no way to sign in */
export function mayRemoveLinkedIdentity(user: { hasPassword: boolean; linkedIdentities: number }): boolean {
  return user.hasPassword || user.linkedIdentities > 1;
}
