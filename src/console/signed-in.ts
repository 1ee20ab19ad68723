import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { applyLocale } from '../http/locale.ts';

/**
 * The user signed in in this browser: the provider's session named by its signed cookie,
 * unexpired, with an account that is still active. Anything else is nobody. Its use moves the
 * session's "last seen" on in the session list.
 */
export async function findSignedIn(deps: ConsoleDeps, ctx: Context): Promise<SignedIn | undefined> {
  const session = await deps.host.findSession(ctx);
  if (!session?.accountId) return undefined;
  const user = await deps.users.findById(session.accountId);
  if (user?.status !== 'active') return undefined;
  const tenant = await deps.tenants.findById(user.tenantId);
  if (!tenant) return undefined;
  ctx.state.tenantId = tenant.id;
  const settings = await deps.accountSettings.get(user.id);
  // the account pages speak the user's language and show dates in the user's zone and formats
  applyLocale(ctx, { user: settings });
  await deps.sessions.seen(session.id, requestFacts(ctx));
  return {
    sessionId: session.id,
    sessionUid: session.uid,
    user,
    tenant,
    settings,
    ...(session.authTime === undefined ? {} : { authTime: session.authTime }),
  };
}
