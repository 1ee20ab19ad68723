import { FACTOR_KINDS, type CodeFactorType, type FactorType, type SecondFactorMethod } from '../policy/factor-types.ts';
import type { FactorService } from '../accounts/factors.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { CodeChallenges } from './code-challenges.ts';
import { challengeLimits, type CodeDelivery } from './code-delivery.ts';
import { verifyWithAttemptLimit, type CodeCheck } from './code-attempts.ts';
import type { FactorScope, ProofCheck, SecondFactor, SecondFactors } from './factor.ts';
import type { Passkeys } from './passkeys.ts';

export interface SecondFactorDeps {
  factors: FactorService;
  challenges: CodeChallenges;
  codes: CodeDelivery;
  counters: AttemptCounters;
  passkeys: Passkeys;
}

/** TOTP and recovery-code guesses count per sign-in (or per pending factor on the account page) and per user */
function attemptScope(scope: FactorScope) {
  const attemptKey = scope.purpose === 'account' ? `2fa-account:${scope.uid}` : `2fa:${scope.uid}`;
  return { policy: scope.tenant.policy.mfa, tenantId: scope.tenant.id, userId: scope.user.id, attemptKey };
}

async function proven(method: SecondFactorMethod, check: Promise<CodeCheck>): Promise<ProofCheck> {
  const result = await check;
  return result.ok ? { ok: true, method } : result;
}

function totp(deps: SecondFactorDeps): SecondFactor {
  return {
    type: 'totp',
    kind: FACTOR_KINDS.totp,
    verify: (scope, code) =>
      proven(
        'totp',
        verifyWithAttemptLimit(deps.counters, attemptScope(scope), () => deps.factors.verifyTotp(scope.user.id, code)),
      ),
    confirm: (scope, factorId, code) =>
      proven(
        'totp',
        verifyWithAttemptLimit(deps.counters, attemptScope(scope), () => deps.factors.confirmTotp(scope.user.id, factorId, code)),
      ),
  };
}

/** email, SMS and voice: a code sent for one scope, checked by the challenge store (attempts and sends counted there) */
function sentCode(deps: SecondFactorDeps, type: CodeFactorType): SecondFactor {
  const verify = async (scope: FactorScope, code: string): Promise<ProofCheck> => {
    const result = await deps.challenges.verify({
      purpose: scope.purpose,
      uid: scope.uid,
      userId: scope.user.id,
      code,
      limits: challengeLimits(scope.tenant.policy.mfa, type),
    });
    return result.ok ? { ok: true, method: result.channel } : result;
  };
  return {
    type,
    kind: FACTOR_KINDS[type],
    issue: (scope, destination) =>
      deps.codes.send({
        purpose: scope.purpose,
        uid: scope.uid,
        user: scope.user,
        tenant: scope.tenant,
        channel: type,
        destination,
        policy: scope.tenant.policy.mfa,
        locale: scope.locale,
        ip: scope.ip,
      }),
    verify,
    async confirm(scope, factorId, code) {
      const checked = await verify(scope, code);
      if (checked.ok) await deps.factors.confirm(scope.user.id, factorId);
      return checked;
    },
  };
}

/** a ceremony's challenge is bound to its scope: one sign-in, one enrolment, one account page */
const ceremonyKey = (scope: FactorScope) => `${scope.purpose}:${scope.uid}`;

/**
 * Passkeys: the page asks the browser for a signature over a challenge bound to this scope. A
 * failed assertion counts against the same attempt limits as a wrong code.
 */
function passkey(deps: SecondFactorDeps): SecondFactor {
  return {
    type: 'passkey',
    kind: FACTOR_KINDS.passkey,
    proofOptions: (scope) => deps.passkeys.authenticationOptions(ceremonyKey(scope), scope.user.id) as never,
    enrolOptions: (scope) =>
      deps.passkeys.registrationOptions(
        ceremonyKey(scope),
        { id: scope.user.id, email: scope.user.email, displayName: scope.user.firstName || scope.user.email },
        scope.tenant.displayName,
      ) as never,
    async enrol(scope, answer, name) {
      const registered = await deps.passkeys.register(ceremonyKey(scope), scope.user.id, answer, name);
      if (registered.ok) return { ok: true, factorId: registered.factorId, method: registered.synced ? 'passkey-synced' : 'passkey' };
      return { ok: false, reason: registered.reason === 'duplicate' ? 'duplicate' : registered.reason === 'expired' ? 'expired' : 'invalid' };
    },
    async verify(scope, answer) {
      let proven: Awaited<ReturnType<Passkeys['authenticate']>> | undefined;
      const checked = await verifyWithAttemptLimit(deps.counters, attemptScope(scope), async () => {
        proven = await deps.passkeys.authenticate(ceremonyKey(scope), answer, scope.user.id);
        return proven.ok;
      });
      // ok only when the check said so, which was the passkey's proof
      if (checked.ok) return { ok: true, method: proven?.ok && proven.synced ? 'passkey-synced' : 'passkey' };
      return { ...checked, ...(proven && !proven.ok && proven.cloneWarning ? { cloneWarning: true } : {}) };
    },
  };
}

function recoveryCodes(deps: SecondFactorDeps): SecondFactor {
  return {
    type: 'recovery',
    kind: { amr: 'otp', phishingResistant: false },
    verify: (scope, code) =>
      proven(
        'recovery',
        verifyWithAttemptLimit(deps.counters, attemptScope(scope), () => deps.factors.recoveryCodes.consume(scope.user.id, code)),
      ),
  };
}

/** The registry: one implementation per factor type (the compiler holds it to the list) and the recovery codes. */
export function createSecondFactors(deps: SecondFactorDeps): SecondFactors {
  const all: Record<SecondFactorMethod, SecondFactor> = {
    passkey: passkey(deps),
    totp: totp(deps),
    email: sentCode(deps, 'email'),
    sms: sentCode(deps, 'sms'),
    voice: sentCode(deps, 'voice'),
    recovery: recoveryCodes(deps),
  } satisfies Record<FactorType | 'recovery', SecondFactor>;
  return { get: (type) => all[type] };
}
