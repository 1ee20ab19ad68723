import { createHmac } from 'node:crypto';
import type { ConsoleDeps, SignedIn } from './context.ts';
import type { SessionEntry } from '../accounts/session-index.ts';

/**
 * Active sessions in the security section: each browser signed in to the user (where, when,
 * which browser), this one marked. A session's id is what its cookie carries, so the page
 * never shows it: each is named by a keyed hash of it, bound to the viewing session, and the
 * audit trail records only that.
 */
export function sessionHandle(viewer: SignedIn, sessionId: string): string {
  return createHmac('sha256', viewer.sessionId).update(sessionId).digest('base64url').slice(0, 22);
}

export async function sessionEntries(deps: ConsoleDeps, who: SignedIn) {
  const entries = await deps.sessions.list(who.user.id);
  return entries.map((e: SessionEntry) => ({
    handle: sessionHandle(who, e.id),
    current: e.id === who.sessionId,
    ip: e.ip ?? '',
    browser: e.browser,
    signedInAt: e.signedInAt?.toISOString() ?? '',
    lastSeenAt: (e.lastSeenAt ?? e.signedInAt)?.toISOString() ?? '',
  }));
}
