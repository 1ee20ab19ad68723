import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { audit, formField, translator } from './context.ts';
import { renderSecurity } from './security-page.ts';
import { sessionHandle } from './session-list.ts';

/** "Sign out" of one other browser: its session ends on every replica, its applications' grants are revoked */
export async function endSession(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const handle = formField(ctx, 'session');
  const target = (await deps.sessions.list(who.user.id)).find((e) => sessionHandle(who, e.id) === handle);
  if (!target || !(await deps.sessions.end(who.user.id, target.id))) {
    ctx.status = 404;
    return renderSecurity(deps, ctx, who, { error: t('account.sessions.missing') });
  }
  const current = target.id === who.sessionId;
  await audit(deps, ctx, who, 'session.ended', { session: handle, current });
  if (current) {
    // signing this browser out: nothing more to show here
    ctx.status = 303;
    return ctx.redirect('/account');
  }
  return renderSecurity(deps, ctx, who, { notice: t('account.sessions.ended') });
}

/** "Sign out everywhere but here": every other session of the user ends */
export async function endOtherSessions(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  let count = 0;
  for (const entry of await deps.sessions.list(who.user.id)) {
    if (entry.id !== who.sessionId && (await deps.sessions.end(who.user.id, entry.id))) count += 1;
  }
  await audit(deps, ctx, who, 'sessions.ended', { scope: 'others', sessions: count });
  return renderSecurity(deps, ctx, who, { notice: t(count === 0 ? 'account.sessions.noOthers' : 'account.sessions.endedOthers', { count }) });
}
