import Router from '@koa/router';
import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn, Unlocked } from './context.ts';
import { SECURITY_PATH } from './context.ts';
import { findSignedIn } from './signed-in.ts';
import { lockSection, renderUnlock, submitUnlock } from './unlock.ts';
import { renderSecurity } from './security-page.ts';
import { cancelAdding, confirmAdding, confirmPasskey, renderAdding, resendCode, startAdding } from './add-factor.ts';
import { makePreferred, regenerateRecoveryCodes, removeFactor } from './factor-changes.ts';
import { forgetAllDevices, forgetDevice, renameDevice } from './device-changes.ts';
import { changeOwnName } from './profile-change.ts';
import { changePassword } from './password-change.ts';
import { endOtherSessions, endSession } from './session-changes.ts';
import { createToken, revokeToken } from './api-token-changes.ts';
import { formBody } from '../http/body.ts';
import { renderOrganisationForm } from './sign-in-flow.ts';
import { removeLinkedIdentity } from './linked-identity-changes.ts';
import { startReauthentication } from './reauthenticate.ts';

/**
 * The security section of the user's own account: who is
 * signed in comes from the provider's session; the section opens for a while after the
 * password is entered again (or, for a user without one, a sign-in again at the upstream). Every POST carries a CSRF token and a bounded form body.
 */
export function createAccountSecurityRouter(deps: ConsoleDeps, options: { bodyLimitKb: number }): Router {
  const router = new Router({ prefix: SECURITY_PATH });
  const form = [formBody(options.bodyLimitKb), deps.csrf.verify];
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** runs the handler for the signed-in user, or answers 401 with the page that says how to sign in */
  const signedIn = (handler: (ctx: Context, who: SignedIn) => Promise<void> | void) => async (ctx: Context) => {
    const who = await findSignedIn(deps, ctx);
    if (!who) return renderSignedOut(deps, ctx);
    return handler(ctx, who);
  };
  /** as signedIn, and the section must be unlocked; else the password is asked again (401) */
  const unlocked = (handler: (ctx: Context, who: Unlocked) => Promise<void>) =>
    signedIn(async (ctx, who) => {
      const unlock = await deps.unlocks.find(who.sessionId, who.user.id);
      if (unlock) return handler(ctx, { ...who, unlock });
      ctx.status = 401;
      return renderUnlock(deps, ctx, who, { again: true });
    });

  router.get(
    '/',
    signedIn(async (ctx, who) => {
      const unlock = await deps.unlocks.find(who.sessionId, who.user.id);
      if (!unlock) return renderUnlock(deps, ctx, who);
      const open = { ...who, unlock };
      return unlock.adding ? renderAdding(deps, ctx, open) : renderSecurity(deps, ctx, open);
    }),
  );
  router.post(
    '/unlock',
    ...form,
    signedIn((ctx, who) => submitUnlock(deps, ctx, who)),
  );
  router.post(
    '/reauthenticate',
    ...form,
    signedIn((ctx, who) => startReauthentication(deps, ctx, who)),
  );
  router.post(
    '/lock',
    ...form,
    signedIn((ctx, who) => lockSection(deps, ctx, who)),
  );
  router.post(
    '/factors/add',
    ...form,
    unlocked((ctx, who) => startAdding(deps, ctx, who)),
  );
  router.post(
    '/factors/confirm',
    ...form,
    unlocked((ctx, who) => confirmAdding(deps, ctx, who)),
  );
  router.post(
    '/factors/passkey',
    ...form,
    unlocked((ctx, who) => confirmPasskey(deps, ctx, who)),
  );
  router.post(
    '/factors/resend',
    ...form,
    unlocked((ctx, who) => resendCode(deps, ctx, who)),
  );
  router.post(
    '/factors/cancel',
    ...form,
    unlocked((ctx, who) => cancelAdding(deps, ctx, who)),
  );
  router.post(
    '/factors/remove',
    ...form,
    unlocked((ctx, who) => removeFactor(deps, ctx, who)),
  );
  router.post(
    '/factors/preferred',
    ...form,
    unlocked((ctx, who) => makePreferred(deps, ctx, who)),
  );
  router.post(
    '/recovery-codes',
    ...form,
    unlocked((ctx, who) => regenerateRecoveryCodes(deps, ctx, who)),
  );
  router.post(
    '/devices/revoke',
    ...form,
    unlocked((ctx, who) => forgetDevice(deps, ctx, who)),
  );
  router.post(
    '/devices/revoke-all',
    ...form,
    unlocked((ctx, who) => forgetAllDevices(deps, ctx, who)),
  );
  router.post(
    '/devices/rename',
    ...form,
    unlocked((ctx, who) => renameDevice(deps, ctx, who)),
  );
  router.post(
    '/profile',
    ...form,
    unlocked((ctx, who) => changeOwnName(deps, ctx, who, renderSecurity)),
  );
  router.post(
    '/password',
    ...form,
    unlocked((ctx, who) => changePassword(deps, ctx, who)),
  );
  router.post(
    '/sessions/end',
    ...form,
    unlocked((ctx, who) => endSession(deps, ctx, who)),
  );
  router.post(
    '/sessions/end-others',
    ...form,
    unlocked((ctx, who) => endOtherSessions(deps, ctx, who)),
  );
  router.post(
    '/tokens',
    ...form,
    unlocked((ctx, who) => createToken(deps, ctx, who)),
  );
  router.post(
    '/tokens/revoke',
    ...form,
    unlocked((ctx, who) => revokeToken(deps, ctx, who)),
  );
  router.post(
    '/identities/remove',
    ...form,
    unlocked((ctx, who) => removeLinkedIdentity(deps, ctx, who)),
  );
  return router;
}

function renderSignedOut(deps: ConsoleDeps, ctx: Context) {
  ctx.status = 401;
  renderOrganisationForm(deps, ctx, { page: 'account-signed-out', returnTo: 'security' });
}
