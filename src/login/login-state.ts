import type { OidcKvStore } from '../store/oidc-kv/types.ts';

/**
 * What the sign-in has established so far for one interaction, between steps: who proved
 * the password, and which step must come next. Lives as long as the interaction.
 */
export interface LoginState {
  userId: string;
  /** epoch seconds of the password proof */
  passwordAt: number;
  pending: 'change-password';
  reason: 'forced' | 'expired';
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
