import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';
import type { Logger } from '../lib/logger.ts';
import type { SavedSession, SessionFacts, SessionIndex } from '../accounts/session-index.ts';
import { requestFacts } from './context.ts';

/** the part of an oidc-provider instance this needs: it is an EventEmitter */
export interface SessionEvents {
  on(event: string, listener: (entity: never) => void): unknown;
}

interface Pending {
  facts: SessionFacts;
  writes: Promise<void>[];
}

/**
 * Records where and when each provider session was signed in and used, for the account
 * console's session list: oidc-provider announces every saved and destroyed session, and the
 * request that caused it (kept in an AsyncLocalStorage around the provider) gives the IP
 * and browser. The response waits for the write, so a list read right after a sign-in is
 * complete. Each provider instance (replaced when signing keys rotate) gets its listeners once.
 */
export function recordSessions(current: () => SessionEvents, index: SessionIndex, logger: Logger): Middleware {
  const requests = new AsyncLocalStorage<Pending>();
  const observed = new WeakSet<SessionEvents>();
  const track = (what: string, write: (pending: Pending | undefined) => Promise<void>) => {
    const pending = requests.getStore();
    const done = write(pending).catch((err: unknown) => logger.warn({ err, what }, 'session index write failed'));
    pending?.writes.push(done);
  };
  const listen = (provider: SessionEvents) => {
    provider.on('session.saved', (session: SavedSession & { jti?: string }) => {
      const saved: SavedSession = { id: session.jti ?? session.id, ...pick(session) };
      track('saved', (pending) => index.saved(saved, pending?.facts));
    });
    provider.on('session.destroyed', (session: { jti?: string; id?: string }) => {
      const id = session.jti ?? session.id;
      if (typeof id === 'string') track('destroyed', () => index.destroyed(id));
    });
  };
  return async function sessionRecorder(ctx, next) {
    const provider = current();
    if (!observed.has(provider)) {
      observed.add(provider);
      listen(provider);
    }
    const pending: Pending = { facts: requestFacts(ctx), writes: [] };
    await requests.run(pending, next);
    await Promise.all(pending.writes);
  };
}

function pick(session: SavedSession): Omit<SavedSession, 'id'> {
  return {
    ...(typeof session.accountId === 'string' ? { accountId: session.accountId } : {}),
    ...(typeof session.oldId === 'string' ? { oldId: session.oldId } : {}),
    ...(typeof session.exp === 'number' ? { exp: session.exp } : {}),
  };
}
