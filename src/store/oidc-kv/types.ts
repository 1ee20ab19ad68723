/**
 * Storage for oidc-provider's short-lived models (sessions, interactions, codes, grants,
 * tokens...). One `OidcModelStore` per model name. Implementations: Redis (production,
 * shared by every replica) and an in-process map (embedded default).
 *
 * The payloads are opaque JSON objects written by oidc-provider; the store only reads the
 * fields `grantId`, `userCode`, `uid` and `consumed` to keep its indexes and to consume.
 */
export type OidcPayload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
};

export interface OidcModelStore {
  /** Insert or replace; expiresIn is in seconds (undefined: no expiry). */
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Stores the entry only when none is stored under this id, atomically across processes (Redis:
   * SET NX); true for the one caller that stored it. Nothing is indexed: for entries without
   * uid, userCode or grantId (the jti of a client assertion or a DPoP proof, used once).
   */
  insertNew(id: string, payload: OidcPayload, expiresIn: number): Promise<boolean>;
  /**
   * Atomically marks the entry consumed (payload.consumed = epoch seconds).
   * Returns 'consumed' for exactly one caller; 'already' when it was consumed before;
   * 'missing' when there is no such entry. Must hold across processes (Redis: one Lua script).
   */
  consume(id: string): Promise<'consumed' | 'already' | 'missing'>;
  destroy(id: string): Promise<void>;
  /** Deletes every entry of every grantable model that carries this grantId. */
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcKvStore {
  model(name: string): OidcModelStore;
  /**
   * The Session and Grant entries that carry this accountId (indexed on upsert), so a
   * password change or deactivation can end every session and revoke every grant of a user.
   * May list entries that have since expired or been destroyed; find() tells.
   */
  accountEntries(accountId: string): Promise<{ model: string; id: string }[]>;
  /** true when the backing service answers (Redis PING; memory: always). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
