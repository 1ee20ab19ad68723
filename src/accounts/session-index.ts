import type { OidcKvStore, OidcPayload } from '../store/oidc-kv/types.ts';
import type { Clock } from '../lib/clock.ts';
import { describeUserAgent } from './user-agent.ts';
import { sessionEnded, type SessionLifetime } from '../policy/session-lifetime.ts';

/** where a browser's session was last used from, as a request saw it */
export interface SessionFacts {
  ip: string;
  userAgent?: string;
}

/** a signed-in browser of the user, as the account console lists it */
export interface SessionEntry {
  id: string;
  signedInAt: Date | null;
  lastSeenAt: Date | null;
  ip: string | null;
  /** bowser's family and OS, e.g. 'Firefox on Windows' ('' when nothing was recorded) */
  browser: string;
  expiresAt: Date;
}

/** the part of an oidc-provider Session a saved event carries */
export interface SavedSession {
  id: string;
  accountId?: string;
  /** the id it had before this save (a new sign-in in the same browser gives a new id) */
  oldId?: string;
  /** epoch seconds */
  exp?: number;
}

/**
 * Metadata per oidc-provider session (IP, browser, last seen), kept in the short-lived store
 * next to the sessions themselves (Redis, shared by replicas; in process for the embedded
 * default) and expiring with them. The session itself stays the provider's: ending one here
 * destroys it in the store, so its cookie no longer signs anyone in on any replica, and
 * revokes the grants (so the refresh tokens) the applications got through it.
 */
export interface SessionIndex {
  /** oidc-provider saved a session (sign-in, or use by an application) */
  saved(session: SavedSession, facts: SessionFacts | undefined): Promise<void>;
  destroyed(sessionId: string): Promise<void>;
  /** the console was used with this session: last seen moves on (written at most once a minute) */
  seen(sessionId: string, facts: SessionFacts): Promise<void>;
  /** the user's live sessions, most recently seen first */
  list(accountId: string): Promise<SessionEntry[]>;
  /** signs one session of the user out; false when it is not (any more) the user's */
  end(accountId: string, sessionId: string): Promise<boolean>;
}

interface SessionRecord {
  /** not named accountId: the store indexes payloads that carry one */
  account: string;
  ip: string;
  userAgent: string;
  lastSeenAt: number;
  [key: string]: unknown;
}

const RECORD_MODEL = 'SessionMeta';
const SEEN_EVERY_MS = 60_000;
const MAX_UA = 512;

export function createSessionIndex(kv: OidcKvStore, clock: Clock, lifetime: SessionLifetime): SessionIndex {
  const records = kv.model(RECORD_MODEL);
  const sessions = kv.model('Session');
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  const liveSession = async (accountId: string, id: string): Promise<OidcPayload | undefined> => {
    const payload = await sessions.find(id);
    if (!payload || payload.accountId !== accountId) return undefined;
    // the rule the provider's adapter reads sessions with: idle time and absolute lifetime
    if (sessionEnded({ createdAt: payload.iat, expiresAt: payload.exp }, nowSeconds(), lifetime)) return undefined;
    return payload;
  };
  const write = (id: string, record: SessionRecord, exp: number | undefined) =>
    records.upsert(id, record, Math.max(1, (exp ?? nowSeconds() + 86_400) - nowSeconds()));

  return {
    async saved(session, facts) {
      if (session.oldId && session.oldId !== session.id) await records.destroy(session.oldId);
      if (!session.accountId || !facts) return;
      await write(
        session.id,
        {
          account: session.accountId,
          ip: facts.ip,
          userAgent: (facts.userAgent ?? '').slice(0, MAX_UA),
          lastSeenAt: clock.now(),
        },
        session.exp,
      );
    },

    destroyed: (sessionId) => records.destroy(sessionId),

    async seen(sessionId, facts) {
      const record = (await records.find(sessionId)) as SessionRecord | undefined;
      if (!record || clock.now() - record.lastSeenAt < SEEN_EVERY_MS) return;
      const session = await liveSession(record.account, sessionId);
      if (!session) return;
      await write(
        sessionId,
        { ...record, ip: facts.ip, userAgent: (facts.userAgent ?? '').slice(0, MAX_UA), lastSeenAt: clock.now() },
        session.exp as number | undefined,
      );
    },

    async list(accountId) {
      const ids = (await kv.accountEntries(accountId)).filter((e) => e.model === 'Session').map((e) => e.id);
      const entries: SessionEntry[] = [];
      for (const id of new Set(ids)) {
        const session = await liveSession(accountId, id);
        if (!session) continue;
        const record = (await records.find(id)) as SessionRecord | undefined;
        const mine = record?.account === accountId ? record : undefined;
        entries.push({
          id,
          signedInAt: typeof session.loginTs === 'number' ? new Date(session.loginTs * 1000) : null,
          lastSeenAt: mine ? new Date(mine.lastSeenAt) : null,
          ip: mine?.ip ?? null,
          browser: mine?.userAgent ? describeUserAgent(mine.userAgent).suggestedName : '',
          // a lifetime shortened since the last save ends the session before its stored exp
          expiresAt: new Date(Math.min(Number(session.exp), Number(session.iat) + lifetime.maxSeconds) * 1000),
        });
      }
      const seen = (e: SessionEntry) => (e.lastSeenAt ?? e.signedInAt)?.getTime() ?? 0;
      return entries.sort((a, b) => seen(b) - seen(a));
    },

    async end(accountId, sessionId) {
      const session = await liveSession(accountId, sessionId);
      if (!session) return false;
      await sessions.destroy(sessionId);
      await records.destroy(sessionId);
      const authorizations = (session.authorizations ?? {}) as Record<string, { grantId?: unknown }>;
      for (const { grantId } of Object.values(authorizations)) {
        if (typeof grantId === 'string') await kv.model('Grant').revokeByGrantId(grantId);
      }
      return true;
    },
  };
}
