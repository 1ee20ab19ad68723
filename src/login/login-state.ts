import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { AuthMethod } from '../policy/authentication-context.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import type { SecondFactorDue } from '../policy/sign-in-steps.ts';

/**
 * What the sign-in has established so far for one interaction, between steps: who proved
 * what, and what is still due. Lives as long as the interaction. Which step comes next is not
 * stored: decideNextStep (src/policy/sign-in-steps.ts) derives it from this every time.
 */
export interface LoginState {
  userId: string;
  /** epoch seconds of the password proof (or of the session's, for a step-up) */
  passwordAt: number;
  /** methods completed in this sign-in, in order */
  methods: AuthMethod[];
  /** what a second factor is due, decided once after the first factor */
  secondFactor: SecondFactorDue;
  /** the password must change once the second factor is done */
  changeReason?: 'forced' | 'expired';
  /** recovery codes are to be made and shown once before the sign-in goes on */
  recoveryCodesPending?: boolean;
  /** this browser is one of the user's remembered devices (then no new-device email) */
  knownDevice?: boolean;
  /** the user asked to remember this device: done when the sign-in finishes, after any password change */
  rememberDevice?: { name: string };
  /** the user's own language setting (null: automatic): the pages after the password speak it unless ui_locales says otherwise */
  locale?: string | null;
  /** an upstream identity to link once the user proves the local password */
  linking?: { providerId: string; issuer: string; subject: string; email: string; upstreamFactor: boolean };
  /** the pending factor being enrolled, and where its code went (email or phone number) */
  enrolling?: { type: FactorType; factorId: string; destination?: string };
}

export interface LoginStateStore {
  get(uid: string): Promise<LoginState | undefined>;
  put(uid: string, state: LoginState): Promise<void>;
  clear(uid: string): Promise<void>;
}

export function createLoginStateStore(kv: OidcKvStore, ttlSeconds: number): LoginStateStore {
  const model = kv.model('LoginState');
  return {
    get: async (uid) => (await model.find(uid)) as LoginState | undefined,
    put: (uid, state) => model.upsert(uid, { ...state }, ttlSeconds),
    clear: (uid) => model.destroy(uid),
  };
}
