/**
 * The scope of a token one service obtains for a user by token exchange (RFC 8693,
 * docs/token-exchange.md). Pure: the caller reads the user's token and the client's registration.
 *
 * The new token may carry only what the user's token already carries AND what the requesting
 * client is registered to ask of the target API: never wider than either.
 */
export type DelegatedScope = { ok: true; scope: string[] } | { ok: false; reason: 'not_allowed'; scope: string[] } | { ok: false; reason: 'none_shared' };

/**
 * requested: the scope parameter's values (undefined when none was sent: then everything allowed);
 * subject: the user's token's scope; resource: the scopes the client may ask of the target API.
 * The result keeps the order of the request, or of the resource's registration.
 */
export function delegatedScope(requested: readonly string[] | undefined, subject: Iterable<string>, resource: readonly string[]): DelegatedScope {
  const held = new Set(subject);
  const allowed = resource.filter((s) => held.has(s));
  if (requested !== undefined && requested.length > 0) {
    const wider = requested.filter((s) => !allowed.includes(s));
    if (wider.length > 0) return { ok: false, reason: 'not_allowed', scope: wider };
    return { ok: true, scope: [...new Set(requested)] };
  }
  return allowed.length > 0 ? { ok: true, scope: [...new Set(allowed)] } : { ok: false, reason: 'none_shared' };
}

/** a space-separated scope parameter's values, without empties */
export function scopeValues(scope: unknown): string[] | undefined {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : undefined;
}
