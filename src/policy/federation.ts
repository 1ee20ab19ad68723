/**
 * Decisions of a sign-in through an upstream OpenID Connect provider (docs/federation.md).
 * Pure: the caller reads the provider, the upstream's claims and the local user, and acts.
 */

/** the part of a provider these decisions read */
export interface ProviderRouting {
  id: string;
  /** lower-case email domains */
  domains: readonly string[];
  exclusive: boolean;
}

/** the domain of an email, lower-cased; undefined when there is none */
export function emailDomain(email: string): string | undefined {
  const at = email.trim().lastIndexOf('@');
  const domain =
    at > 0
      ? email
          .trim()
          .slice(at + 1)
          .toLowerCase()
      : '';
  return domain && !domain.includes('@') ? domain : undefined;
}

export type EmailRoute =
  /** the email's domain belongs to this provider; exclusive: the password form is refused for it */
  { kind: 'provider'; providerId: string; exclusive: boolean } | { kind: 'password' };

/**
 * Home realm discovery: which way an email typed on the sign-in page goes. Domains match
 * exactly (corp.example, not mail.corp.example). Should two providers claim a domain (the
 * admin API refuses it, but an older record may), the exclusive one wins, then the first.
 */
export function routeEmail(email: string, providers: readonly ProviderRouting[]): EmailRoute {
  const domain = emailDomain(email);
  if (!domain) return { kind: 'password' };
  const matching = providers.filter((p) => p.domains.includes(domain));
  const chosen = matching.find((p) => p.exclusive) ?? matching[0];
  return chosen ? { kind: 'provider', providerId: chosen.id, exclusive: chosen.exclusive } : { kind: 'password' };
}

/**
 * What the sign-in form does with an email and, maybe, a password: a routed email with no
 * password goes to its provider; an exclusive provider's email always does (its password is
 * never checked, so the form cannot be used to guess it); anything else is a password sign-in.
 */
export function decideSignInForm(
  email: string,
  passwordGiven: boolean,
  providers: readonly ProviderRouting[],
): { action: 'redirect'; providerId: string } | { action: 'password' } {
  const route = routeEmail(email, providers);
  if (route.kind === 'provider' && (route.exclusive || !passwordGiven)) return { action: 'redirect', providerId: route.providerId };
  return { action: 'password' };
}

/** what the upstream's ID token says about the person */
export interface UpstreamPerson {
  email?: string | undefined;
  /** only `true` counts; anything else (missing, "true", 1) is unverified */
  emailVerified: unknown;
}

/** the local user whose email equals the upstream's, in the provider's tenant */
export interface LocalMatch {
  status: 'active' | 'invited' | 'deactivated';
  /** has a local password (invited and provisioned users have none) */
  hasPassword: boolean;
  /** already linked to another identity at this provider */
  linkedToProvider: boolean;
}

export type FirstSignInRefusal =
  | 'unverified-email'
  | 'no-email'
  | 'no-account'
  | 'domain-not-allowed'
  | 'account-inactive'
  | 'account-without-password'
  | 'already-linked';

export type FirstSignInDecision =
  /** create a user with this role and link the identity to it */
  | { action: 'provision'; role: string }
  /** the user must prove the local password before the identity is linked */
  | { action: 'link-with-password' }
  | { action: 'refuse'; reason: FirstSignInRefusal };

export interface FirstSignInInput {
  /** role for just-in-time provisioning; null: the provider does not provision */
  provisionRole: string | null;
  /** the provider's domains: when any are set, only emails in them are provisioned */
  domains: readonly string[];
  upstream: UpstreamPerson;
  /** the local user with the upstream's email (looked up only for a verified email) */
  existing?: LocalMatch;
}

/**
 * An upstream identity seen for the first time. Never linked or provisioned on an email the
 * upstream has not verified; linked to an existing user only after that user's password;
 * provisioned only when the provider does so, for its domains.
 */
export function decideFirstSignIn(input: FirstSignInInput): FirstSignInDecision {
  const email = input.upstream.email?.trim();
  if (!email) return { action: 'refuse', reason: 'no-email' };
  if (input.upstream.emailVerified !== true) return { action: 'refuse', reason: 'unverified-email' };
  const existing = input.existing;
  if (existing) {
    if (existing.status === 'deactivated') return { action: 'refuse', reason: 'account-inactive' };
    if (existing.status !== 'active' || !existing.hasPassword) return { action: 'refuse', reason: 'account-without-password' };
    if (existing.linkedToProvider) return { action: 'refuse', reason: 'already-linked' };
    return { action: 'link-with-password' };
  }
  if (input.provisionRole === null) return { action: 'refuse', reason: 'no-account' };
  const domain = emailDomain(email);
  if (input.domains.length > 0 && (!domain || !input.domains.includes(domain))) return { action: 'refuse', reason: 'domain-not-allowed' };
  return { action: 'provision', role: input.provisionRole };
}

/** which upstream amr / acr values the tenant counts as this sign-in's second factor */
export interface UpstreamTrust {
  amr: readonly string[];
  acr: readonly string[];
}

export type UpstreamFactorReason = 'not-trusted' | 'amr-trusted' | 'acr-trusted' | 'amr-not-trusted' | 'acr-not-trusted' | 'no-claims';

/**
 * Does the upstream's own authentication count as the second factor? Only when the provider
 * is configured to trust some amr or acr values and the ID token carries one of them (an amr
 * that is not an array of strings, or an acr that is not a string, counts as absent).
 */
export function decideUpstreamSecondFactor(
  trust: UpstreamTrust,
  claims: { amr?: unknown; acr?: unknown },
): { counts: boolean; reasons: UpstreamFactorReason[] } {
  if (trust.amr.length === 0 && trust.acr.length === 0) return { counts: false, reasons: ['not-trusted'] };
  const amr = Array.isArray(claims.amr) && claims.amr.every((v) => typeof v === 'string') ? (claims.amr as string[]) : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const reasons: UpstreamFactorReason[] = [];
  if (trust.amr.length > 0) reasons.push(amr.some((v) => trust.amr.includes(v)) ? 'amr-trusted' : 'amr-not-trusted');
  if (trust.acr.length > 0) reasons.push(acr !== undefined && trust.acr.includes(acr) ? 'acr-trusted' : 'acr-not-trusted');
  if (amr.length === 0 && acr === undefined) reasons.push('no-claims');
  return { counts: reasons.includes('amr-trusted') || reasons.includes('acr-trusted'), reasons };
}

export type FederatedAccess = { allow: true } | { allow: false; reason: 'deactivated' | 'invited' | 'locked' };

/**
 * A linked user signing in through a provider: the account must be active, and a locked
 * account (wrong passwords) is locked for federation too. The network and second-factor rules
 * follow in decideSecondFactor, as for a password.
 */
export function decideFederatedAccess(user: { status: 'active' | 'invited' | 'deactivated' }, lockedUntil: number | undefined, now: number): FederatedAccess {
  if (user.status === 'deactivated') return { allow: false, reason: 'deactivated' };
  if (user.status !== 'active') return { allow: false, reason: 'invited' };
  if (lockedUntil !== undefined && lockedUntil > now) return { allow: false, reason: 'locked' };
  return { allow: true };
}
