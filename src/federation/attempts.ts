import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { UpstreamChecks } from './upstream-client.ts';

/**
 * One redirect to an upstream provider, kept server-side (Redis; in process for the embedded
 * default) under its random state, which is all the browser carries. Short-lived and single
 * use: a replayed or forged callback finds nothing.
 */
export interface FederationAttempt extends UpstreamChecks {
  /** the interaction the sign-in belongs to: the callback continues only in that browser's interaction */
  uid: string;
  providerId: string;
  tenantId: string;
  /** epoch ms */
  startedAt: number;
  /** the upstream was asked to authenticate now (prompt=login, max_age=0): its auth_time is checked on return */
  fresh?: boolean;
}

export interface FederationAttempts {
  save(attempt: FederationAttempt): Promise<void>;
  /** the attempt of this state, without using it up (to find its interaction) */
  peek(state: string): Promise<FederationAttempt | undefined>;
  /** the attempt of this state, used up: a second call for the same state gets undefined */
  take(state: string): Promise<FederationAttempt | undefined>;
}

const STATE = /^[A-Za-z0-9_-]{16,128}$/;

export function createFederationAttempts(kv: OidcKvStore, ttlSeconds: number): FederationAttempts {
  const model = kv.model('FederationAttempt');
  const read = async (state: string) => {
    if (!STATE.test(state)) return undefined;
    const found = await model.find(state);
    return found && !found.consumed ? (found as unknown as FederationAttempt) : undefined;
  };
  return {
    save: (attempt) => model.upsert(attempt.state, { ...attempt }, ttlSeconds),
    peek: read,
    async take(state) {
      const attempt = await read(state);
      if (!attempt) return undefined;
      // consume is atomic across replicas: of two callbacks with one state, one wins
      if ((await model.consume(state)) !== 'consumed') return undefined;
      return attempt;
    },
  };
}
