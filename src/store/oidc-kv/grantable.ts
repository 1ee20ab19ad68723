import type { OidcPayload } from './types.ts';

/** Models whose entries revokeByGrantId removes. */
export const GRANTABLE_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
  'Grant',
]);

/** A Grant is indexed under its own id; other grantable models under payload.grantId. */
export function indexedGrantId(model: string, id: string, payload: OidcPayload): string | undefined {
  if (model === 'Grant') return id;
  return typeof payload.grantId === 'string' ? payload.grantId : undefined;
}

/** Models indexed by payload.accountId (see OidcKvStore.accountEntries). */
export const ACCOUNT_INDEXED_MODELS: ReadonlySet<string> = new Set(['Session', 'Grant']);

export function indexedAccountId(model: string, payload: OidcPayload): string | undefined {
  return ACCOUNT_INDEXED_MODELS.has(model) && typeof payload.accountId === 'string' ? payload.accountId : undefined;
}
