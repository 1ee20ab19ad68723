import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { ClientWithTenant } from './adapter.ts';
import { claimsOfScopes, SCOPE_CLAIMS, type ClaimRequest } from '../policy/claims.ts';

/**
 * oidc-provider's loadExistingGrant: the grant an authorization request is checked against.
 * - First-party clients never see a consent page: their grant is created, or extended, with
 *   what the request asks (scopes, claims of the `claims` parameter, scopes of resources).
 * - Any grant also gets the claims of the scopes it already holds, so a claim asked through the
 *   `claims` parameter that a consented scope releases asks for no consent again.
 * - The claims of the roles scope go into the ID token as well as userinfo.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client as unknown as ClientWithTenant & { clientId: string };
  const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!existing && !client.first_party) return undefined;
  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId! });
  let changed = !existing;
  if (client.first_party) changed = grantWhatIsAsked(ctx, grant) || changed;
  changed = addClaimsOfGrantedScopes(grant) || changed;
  releaseRolesInIdToken(ctx, grant);
  if (changed) await grant.save();
  return grant;
}

/** adds to the grant what the request asks and it lacks; true when it lacked anything */
function grantWhatIsAsked(ctx: KoaContextWithOIDC, grant: Grant): boolean {
  const { oidc } = ctx;
  let changed = false;
  const scopes = new Set(grant.getOIDCScopeEncountered().split(' '));
  const missingScopes = [...oidc.requestParamOIDCScopes].filter((s) => !scopes.has(s));
  if (missingScopes.length) {
    grant.addOIDCScope(missingScopes);
    changed = true;
  }
  const claims = new Set(grant.getOIDCClaimsEncountered());
  const asked = (oidc as unknown as { requestParamClaims: Set<string> }).requestParamClaims;
  const missingClaims = [...asked].filter((c) => !claims.has(c));
  if (missingClaims.length) {
    grant.addOIDCClaims(missingClaims);
    changed = true;
  }
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const held = new Set(grant.getResourceScopeEncountered(indicator).split(' '));
    const missing = [...oidc.requestParamScopes].filter((s) => server.scopes.has(s) && !held.has(s));
    if (missing.length) {
      grant.addResourceScope(indicator, missing);
      changed = true;
    }
  }
  return changed;
}

/** the claims the grant's scopes release, added to its claims; true when any was missing */
function addClaimsOfGrantedScopes(grant: Grant): boolean {
  const held = new Set(grant.getOIDCClaimsEncountered());
  const missing = [...claimsOfScopes(grant.getOIDCScope().split(' '))].filter((c) => !held.has(c));
  if (missing.length) grant.addOIDCClaims(missing);
  return missing.length > 0;
}

/**
 * oidc-provider puts the claims of a scope in userinfo only when an access token goes with the
 * ID token (conformIdTokenClaims); the ID token gets what the `claims` parameter asks. A granted
 * roles scope asks for its claims in the ID token too, as if the parameter had (an application's
 * own request for one of them, with a value, stays as it asked).
 */
function releaseRolesInIdToken(ctx: KoaContextWithOIDC, grant: Grant) {
  const { oidc } = ctx;
  if (!oidc.requestParamOIDCScopes.has('roles') || !grant.getOIDCScope().split(' ').includes('roles')) return;
  const claims = oidc.claims as { id_token?: Record<string, ClaimRequest> };
  claims.id_token ??= {};
  for (const claim of SCOPE_CLAIMS.roles) if (!(claim in claims.id_token)) claims.id_token[claim] = null;
}
