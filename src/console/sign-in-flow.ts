import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { ConsoleDeps } from './context.ts';
import { ACCOUNT_PATH, SECURITY_PATH, translator } from './context.ts';
import { consoleClientId, consoleRedirectUri } from './console-client.ts';
import { findSignedIn } from './signed-in.ts';
import { startDestination } from './start-choices.ts';
import type { Tenant } from '../accounts/tenants.ts';
import { hostCookie } from '../lib/cookie-names.ts';

/**
 * The console's own sign-in: an authorization request of the tenant's built-in console client
 * (PKCE S256, state) to the hosted login, back to /account/callback. The state and where to
 * go afterwards wait in a signed, HttpOnly cookie of this browser for 10 minutes; the callback
 * accepts only its own state, once. The code is never redeemed: what signs the user in to the
 * console is the provider session the hosted login just made (the same cookie every console
 * page reads), and redeeming would have Latchkey call its own public URL. The PKCE verifier is
 * therefore not kept, which makes the code useless to anyone who sees it.
 */
export const RETURN_TARGETS = ['start', 'overview', 'security'] as const;
export type ReturnTarget = (typeof RETURN_TARGETS)[number];

const FLOW_SECONDS = 600;
const STATE = /^[A-Za-z0-9_-]{43}$/;

/** 'unlock': the "Confirm it's you" sign-in of the security section, checked by the unlock's own callback step */
type SignInPurpose = ReturnTarget | 'unlock';

interface PendingSignIn {
  state: string;
  tenantId: string;
  returnTo: SignInPurpose;
  /** epoch ms */
  until: number;
}

/** what the re-authentication adds to the authorization request (prompt=login, max_age=0, provider_hint) */
export type SignInExtras = Partial<Record<'prompt' | 'max_age' | 'provider_hint' | 'login_hint', string>>;

export const isReturnTarget = (v: unknown): v is ReturnTarget => (RETURN_TARGETS as readonly unknown[]).includes(v);

/** a whole-host cookie: `__Host-lk.account-signin` on an https issuer (src/lib/cookie-names.ts) */
function cookieName(deps: ConsoleDeps) {
  return hostCookie(deps.issuer, 'lk.account-signin').name;
}

function cookieOptions(deps: ConsoleDeps, maxAgeMs: number) {
  return { ...hostCookie(deps.issuer, 'lk.account-signin').options, signed: true, maxAge: maxAgeMs };
}

/** sends the browser to the hosted login of the tenant's console client; returns the request's state */
export function startSignIn(deps: ConsoleDeps, ctx: Context, tenant: Tenant, returnTo: SignInPurpose, extras: SignInExtras = {}): string {
  const state = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const pending: PendingSignIn = { state, tenantId: tenant.id, returnTo, until: deps.clock.now() + FLOW_SECONDS * 1000 };
  ctx.cookies.set(cookieName(deps), Buffer.from(JSON.stringify(pending)).toString('base64url'), cookieOptions(deps, FLOW_SECONDS * 1000));
  const auth = new URL('auth', deps.issuer.endsWith('/') ? deps.issuer : `${deps.issuer}/`);
  auth.search = new URLSearchParams({
    client_id: consoleClientId(tenant.id),
    redirect_uri: consoleRedirectUri(deps.issuer),
    response_type: 'code',
    scope: 'openid',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extras,
  }).toString();
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(auth.toString());
  return state;
}

function readPending(deps: ConsoleDeps, ctx: Context): PendingSignIn | undefined {
  const raw = ctx.cookies.get(cookieName(deps), { signed: true });
  if (!raw || raw.length > 1024) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingSignIn>;
    if (typeof parsed.state !== 'string' || !STATE.test(parsed.state) || typeof parsed.tenantId !== 'string') return undefined;
    if (!(isReturnTarget(parsed.returnTo) || parsed.returnTo === 'unlock') || typeof parsed.until !== 'number' || parsed.until <= deps.clock.now())
      return undefined;
    return parsed as PendingSignIn;
  } catch {
    return undefined;
  }
}

const sameState = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** the unlock's own end of a re-authentication: the state, and whether the hosted login returned a code */
export type FinishUnlock = (ctx: Context, state: string, outcome: 'code' | 'cancelled' | 'failed') => Promise<void>;

/**
 * The hosted login sent the browser back: only the state this browser started is accepted, once.
 * A re-authentication for the security section ends in `finishUnlock`.
 */
export async function finishSignIn(deps: ConsoleDeps, ctx: Context, finishUnlock: FinishUnlock) {
  ctx.set('Cache-Control', 'no-store');
  const pending = readPending(deps, ctx);
  ctx.cookies.set(cookieName(deps), null, cookieOptions(deps, 0));
  const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  if (!pending || !sameState(pending.state, state)) return renderFlowProblem(deps, ctx, 400, 'account.signIn.expired');
  if (pending.returnTo === 'unlock') {
    const outcome =
      ctx.query.error !== undefined
        ? ctx.query.error === 'access_denied'
          ? 'cancelled'
          : 'failed'
        : typeof ctx.query.code === 'string' && ctx.query.code
          ? 'code'
          : 'failed';
    return finishUnlock(ctx, pending.state, outcome);
  }
  if (ctx.query.error !== undefined)
    return renderFlowProblem(deps, ctx, 400, ctx.query.error === 'access_denied' ? 'account.signIn.cancelled' : 'account.signIn.failed');
  if (typeof ctx.query.code !== 'string' || !ctx.query.code) return renderFlowProblem(deps, ctx, 400, 'account.signIn.failed');
  const who = await findSignedIn(deps, ctx);
  if (!who) return renderFlowProblem(deps, ctx, 401, 'account.signIn.failed');
  const target = pending.returnTo === 'security' ? SECURITY_PATH : pending.returnTo === 'overview' ? ACCOUNT_PATH : await startDestination(deps, who);
  ctx.status = 303;
  ctx.redirect(target);
}

function renderFlowProblem(deps: ConsoleDeps, ctx: Context, status: number, key: string) {
  ctx.status = status;
  renderOrganisationForm(deps, ctx, { error: translator(deps, ctx)(key) });
}

/** "Which organisation?": the page that starts the console's sign-in for a tenant named by the user */
export function renderOrganisationForm(
  deps: ConsoleDeps,
  ctx: Context,
  options: {
    page?: 'account-sign-in' | 'account-signed-out';
    returnTo?: ReturnTarget;
    tenant?: string;
    error?: string;
    fieldError?: string;
  } = {},
) {
  const t = translator(deps, ctx);
  const page = options.page ?? 'account-sign-in';
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    page,
    {
      title: t(page === 'account-sign-in' ? 'account.signIn.title' : 'account.signedOut.title'),
      signInAction: `${ACCOUNT_PATH}/sign-in`,
      returnTo: options.returnTo ?? 'start',
      tenant: options.tenant ?? '',
      ...(options.error ? { error: options.error } : {}),
      ...(options.fieldError ? { fieldError: options.fieldError } : {}),
    },
    ctx.state.locale,
  );
}
