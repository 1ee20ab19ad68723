import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';
import type { Logger } from '../lib/logger.ts';
import type { SavedSession, SessionFacts, SessionIndex } from '../accounts/session-index.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { ProviderHost } from './provider-host.ts';

interface Pending {
  facts: SessionFacts;
  writes: Promise<void>[];
}

/**
 * Records where and when each provider session was signed in and used, for the account
 * console's session list: oidc-provider announces every saved and destroyed session, and the
 * request that caused it (kept in an AsyncLocalStorage around the provider) gives the IP
 * and browser. The response waits for the write, so a list read right after a sign-in is
 * complete. Mounted around the provider, for every request that reaches it.
 */
export function recordSessions(host: Pick<ProviderHost, 'on'>, index: SessionIndex, logger: Logger): Middleware {
  const requests = new AsyncLocalStorage<Pending>();
  const track = (what: string, write: (pending: Pending | undefined) => Promise<void>) => {
    const pending = requests.getStore();
    const done = write(pending).catch((err: unknown) => logger.warn({ err, what }, 'session index write failed'));
    pending?.writes.push(done);
  };
  host.on('session.saved', (session: SavedSession & { jti?: string }) => {
    const saved: SavedSession = { id: session.jti ?? session.id, ...pick(session) };
    track('saved', (pending) => index.saved(saved, pending?.facts));
  });
  host.on('session.destroyed', (session: { jti?: string; id?: string }) => {
    const id = session.jti ?? session.id;
    if (typeof id === 'string') track('destroyed', () => index.destroyed(id));
  });
  return async function sessionRecorder(ctx, next) {
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
