import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import type { PendingReauthentication } from '../policy/reauthentication.ts';

/** a factor being added on the account page, waiting for its first code */
export interface PendingFactor {
  type: FactorType;
  factorId: string;
  /** where its code went: the account email or the phone number being verified */
  destination?: string;
}

/**
 * The security section opened by re-entering the password: for one provider session (its id
 * changes at every sign-in, so a new sign-in must unlock again) and one account, until a
 * fixed time, never extended by use.
 */
export interface SecurityUnlock {
  accountId: string;
  /** epoch ms */
  until: number;
  adding?: PendingFactor;
}

/** "Confirm it's you with <provider>": kept server-side under the console sign-in's state */
export interface ReauthenticationRequest extends PendingReauthentication {
  providerId: string;
}

export interface SecurityUnlocks {
  /** how long the section stays open after the password */
  readonly seconds: number;
  /** keeps a re-authentication request for as long as the console's sign-in may take */
  request(state: string, request: ReauthenticationRequest): Promise<void>;
  /** the request of this state, used up: of two callbacks with one state, one gets it (atomic consume) */
  takeRequest(state: string): Promise<ReauthenticationRequest | undefined>;
  open(sessionId: string, accountId: string): Promise<SecurityUnlock>;
  /** the unlock of this session and account, if its window has not passed */
  find(sessionId: string, accountId: string): Promise<SecurityUnlock | undefined>;
  update(sessionId: string, unlock: SecurityUnlock): Promise<void>;
  close(sessionId: string): Promise<void>;
}

export const UNLOCK_SECONDS = 600;
/** as long as the console's sign-in cookie lives */
const REQUEST_SECONDS = 600;
const STATE = /^[A-Za-z0-9_-]{43}$/;

export function createSecurityUnlocks(kv: OidcKvStore, clock: Clock, seconds = UNLOCK_SECONDS): SecurityUnlocks {
  const model = kv.model('SecurityUnlock');
  const requests = kv.model('SecurityReauthentication');
  // the stored TTL only cleans up; the window is checked against `until` with our clock
  const save = (sessionId: string, unlock: SecurityUnlock) =>
    model.upsert(sessionId, { ...unlock }, Math.max(1, Math.ceil((unlock.until - clock.now()) / 1000)));
  return {
    seconds,
    async open(sessionId, accountId) {
      const unlock = { accountId, until: clock.now() + seconds * 1000 };
      await save(sessionId, unlock);
      return unlock;
    },
    async find(sessionId, accountId) {
      const stored = (await model.find(sessionId)) as SecurityUnlock | undefined;
      if (!stored || stored.accountId !== accountId || !(stored.until > clock.now())) return undefined;
      return stored;
    },
    async update(sessionId, unlock) {
      if (unlock.until > clock.now()) await save(sessionId, unlock);
    },
    close: (sessionId) => model.destroy(sessionId),
    request: (state, request) => requests.upsert(state, { ...request }, REQUEST_SECONDS),
    async takeRequest(state) {
      if (!STATE.test(state)) return undefined;
      const found = await requests.find(state);
      if (!found || found.consumed || (await requests.consume(state)) !== 'consumed') return undefined;
      return found as unknown as ReauthenticationRequest;
    },
  };
}
