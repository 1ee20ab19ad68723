/** What an API token or an OAuth access token may do in the admin API. */
export const ADMIN_SCOPES = ['admin:read', 'admin:write'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** what each scope lets a token do, as the API document and the command line describe it */
export const SCOPE_DESCRIPTIONS: Record<AdminScope, string> = {
  'admin:read': 'read tenants, users, clients, audit events and your tokens',
  'admin:write': 'change them; includes admin:read',
};

/** roles that may hold admin tokens and use the admin API */
export const ADMIN_ROLES: readonly string[] = ['owner', 'admin'];

/** admin:write includes admin:read: a token that may change something may also look at it */
export function scopeAllows(held: readonly string[], needed: AdminScope): boolean {
  return held.includes(needed) || (needed === 'admin:read' && held.includes('admin:write'));
}
