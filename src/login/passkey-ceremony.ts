import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { applyLocale } from '../http/locale.ts';
import type { FirstFactor } from './step-outcome.ts';
import type { CeremonyOptions } from '../factors/factor.ts';
import { passkeyForm, type PasskeyForm } from '../http/passkey-form.ts';
import { epochSeconds } from '../lib/clock.ts';
import type { VerifiedUser } from '../accounts/users.ts';
import { signInFacts } from './known-browser.ts';

/** the passkey sign-in of the sign-in page: any of the user's discoverable passkeys, also offered in the email field's autofill */
export async function passwordlessForm(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<PasskeyForm | undefined> {
  if (!ic.tenant.policy.mfa.factors.includes('passkey')) return undefined;
  const locale = ctx.state.locale;
  const options = await deps.passkeys.authenticationOptions(passwordlessKey(ic));
  return passkeyForm(deps, locale, {
    action: `/interaction/${ic.view.uid}/passkey`,
    ceremony: 'get',
    options: options as unknown as CeremonyOptions,
    button: deps.renderer.translate('passkey.signIn', locale),
    primary: false,
    autofill: true,
  });
}

const passwordlessKey = (ic: InteractionContext) => `passwordless:${ic.view.uid}`;

/**
 * A passkey as the whole sign-in: the passkey names its user, who must be one the application's
 * tenant signs in (its own, or a reseller's child's), active and not locked. The assertion is
 * counted under the user's lockout like a password: a failed one uses up an attempt. A passkey
 * always verifies the user (PIN or biometric), so it is both factors at once.
 */
export async function identifyByPasskey(deps: LoginDeps, ctx: Context, ic: InteractionContext, answer: string): Promise<FirstFactor | undefined> {
  const facts = requestFacts(ctx);
  const ownerId = await deps.passkeys.ownerOf(answer);
  const owner = ownerId ? await deps.users.findById(ownerId) : undefined;
  const ownerTenant = owner ? (owner.tenantId === ic.tenant.id ? ic.tenant : await deps.tenants.findById(owner.tenantId)) : undefined;
  if (!owner || !ownerTenant || (ownerTenant.id !== ic.tenant.id && ownerTenant.parentId !== ic.tenant.id)) {
    await deps.audit.record({
      tenantId: ic.tenant.id,
      actor: 'anonymous',
      action: 'signin.failed',
      ...facts,
      details: { method: 'passkey', reason: 'unknown-passkey' },
    });
    return undefined;
  }
  let proven: Awaited<ReturnType<LoginDeps['passkeys']['authenticate']>> | undefined;
  let account: VerifiedUser | undefined;
  const outcome = await deps.guard.attemptWith(
    ownerTenant,
    owner.email,
    async () => {
      proven = await deps.passkeys.authenticate(passwordlessKey(ic), answer, owner.id);
      account = proven.ok ? await deps.users.signInAccount(owner.id) : undefined;
      return account ? { ok: true, user: account } : { ok: false, user: owner };
    },
    { ...signInFacts(deps, ctx), method: 'passkey' },
  );
  if (proven && !proven.ok && proven.cloneWarning) {
    await auditSignIn(deps, ctx, ic, owner.id, 'passkey.clone_warning', { factorId: proven.factorId });
  }
  if (!outcome.ok || !proven?.ok || !account) return undefined;
  await deps.users.recordLogin(owner.id);
  // a passkey verifies the user: a second factor for the re-check period of remembered devices
  await deps.users.recordSecondFactor(owner.id);
  // from here on the pages speak the user's language (unless the application asked for one)
  applyLocale(ctx, { uiLocales: ic.view.params.ui_locales ?? '', user: account });
  const changeReason = deps.passwords.changeRequired(account, ownerTenant.policy);
  return {
    state: {
      userId: owner.id,
      passwordAt: epochSeconds(deps.clock),
      methods: [proven.synced ? 'passkey-synced' : 'passkey'],
      secondFactor: { action: 'none' },
      locale: account.locale,
      ...(changeReason ? { changeReason } : {}),
    },
    lastSecondFactorAt: account.lastSecondFactorAt,
  };
}
