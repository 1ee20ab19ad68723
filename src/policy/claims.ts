/**
 * Which user claims an application gets (docs/claims.md). Pure: the caller reads the user and
 * hands over what the request and the grant say.
 *
 * - A scope releases its claims (SCOPE_CLAIMS). The `claims` request parameter (OpenID Connect
 *   Core §5.5) asks for single claims on top, separately for the ID token and for userinfo.
 * - A claim requested with `value` or `values` is released only when the user's value is that
 *   value (or one of them); otherwise it is left out, also when a scope would release it. No
 *   error: Core §5.5.1 has the provider return what it can, essential claims included. `sub`
 *   and `acr` are the exceptions oidc-provider enforces itself (a different `sub` value asks
 *   for a new sign-in; an essential `acr` value asks for a step-up).
 */

/** the claims each OpenID scope releases (Core §5.4, plus Latchkey's `roles`) */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'locale', 'zoneinfo'],
  // tenant and role of the user; `roles` (RFC 9068, SCIM) is a registered claim of another
  // shape, so the role is the single-valued `role`
  roles: ['tenant_id', 'tenant_name', 'role'],
} as const satisfies Record<string, readonly string[]>;

/** every scope an application may ask for: the claim scopes and offline_access (refresh tokens) */
export const OIDC_SCOPES: readonly string[] = ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')];

/** claims about the sign-in, not the user: never asked on a consent page, never filtered by value here */
export const SIGN_IN_CLAIMS: ReadonlySet<string> = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

/** one claim's entry in the `claims` request parameter: null, or what the application says of it */
export type ClaimRequest = null | { essential?: boolean; value?: unknown; values?: readonly unknown[]; [key: string]: unknown };

/** the claims the scopes of a space-separated scope string release */
export function claimsOfScopes(scopes: Iterable<string>): Set<string> {
  const released = new Set<string>();
  for (const scope of scopes) for (const claim of (SCOPE_CLAIMS as Record<string, readonly string[]>)[scope] ?? []) released.add(claim);
  return released;
}

/** the claims to release for one use (ID token or userinfo): `available` holds all the user has */
export function releasedClaims(available: Record<string, unknown>, scope: string, requested: Record<string, ClaimRequest> = {}): Record<string, unknown> {
  const wanted = claimsOfScopes(scope.split(' '));
  for (const claim of Object.keys(requested)) wanted.add(claim);
  const released: Record<string, unknown> = {};
  for (const claim of wanted) {
    const value = available[claim];
    if (value === undefined) continue;
    if (!SIGN_IN_CLAIMS.has(claim) && !matchesRequestedValue(value, requested[claim])) continue;
    released[claim] = value;
  }
  return released;
}

/** no `value`/`values` asked, or the user's value is the one (or one of those) asked */
export function matchesRequestedValue(value: unknown, request: ClaimRequest | undefined): boolean {
  if (!request || typeof request !== 'object') return true;
  if ('value' in request && !sameValue(value, request.value)) return false;
  if ('values' in request) return Array.isArray(request.values) && request.values.some((v) => sameValue(value, v));
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** one line of a consent page: a catalogue key, or a text shown as it is (an API's own scope) */
export type ConsentItem = { key: string } | { text: string };

/** the catalogue key of each claim a consent page names (views/locales consent.claim.*) */
export const CLAIM_LABELS: Readonly<Record<string, string>> = {
  email: 'consent.claim.email',
  email_verified: 'consent.claim.email_verified',
  name: 'consent.claim.name',
  given_name: 'consent.claim.given_name',
  family_name: 'consent.claim.family_name',
  locale: 'consent.claim.locale',
  zoneinfo: 'consent.claim.zoneinfo',
  tenant_id: 'consent.claim.tenant_id',
  tenant_name: 'consent.claim.tenant_name',
  role: 'consent.claim.role',
};

/**
 * What a consent page lists: the sign-in itself (openid), each user claim the asked scopes
 * release and each claim asked on its own (once each, in scope order), access while the user is
 * away (offline_access), then the scopes asked of APIs (resource indicators) as they are named.
 */
export function consentItems(asked: { scopes: readonly string[]; claims: readonly string[]; resourceScopes: readonly string[] }): ConsentItem[] {
  const items: ConsentItem[] = [];
  if (asked.scopes.includes('openid')) items.push({ key: 'consent.scope.openid' });
  const claims = [...claimsOfScopes(asked.scopes), ...asked.claims].filter((c) => !SIGN_IN_CLAIMS.has(c));
  for (const claim of new Set(claims)) {
    const key = CLAIM_LABELS[claim];
    items.push(key ? { key } : { text: claim });
  }
  if (asked.scopes.includes('offline_access')) items.push({ key: 'consent.scope.offline_access' });
  for (const scope of asked.scopes) if (!OIDC_SCOPES.includes(scope)) items.push({ text: scope });
  for (const scope of asked.resourceScopes) items.push({ text: scope });
  return items;
}

/**
 * Everything an authorization request asks, for a consent page asked again with nothing new to
 * allow (a native app's check): its OpenID scopes and the known claims of its `claims` parameter.
 */
export function askedByRequest(params: { scope?: unknown; claims?: unknown }): { scopes: string[]; claims: string[]; resourceScopes: string[] } {
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ').filter((s) => OIDC_SCOPES.includes(s)) : [];
  const claims = new Set<string>();
  try {
    const parsed: unknown = typeof params.claims === 'string' ? JSON.parse(params.claims) : undefined;
    for (const use of ['id_token', 'userinfo']) {
      const member = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[use] : undefined;
      if (member && typeof member === 'object') for (const claim of Object.keys(member)) if (claim in CLAIM_LABELS) claims.add(claim);
    }
  } catch {
    // oidc-provider refused a malformed parameter before any consent
  }
  return { scopes, claims: [...claims], resourceScopes: [] };
}
