import { createHash } from 'node:crypto';
import { answerUnregisteredGrant } from './unregistered-grant.ts';
import type { Context, Middleware, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { Renderer } from '../http/views.ts';
import type { Logger } from '../lib/logger.ts';
import type { RequestState } from '../http/request-state.ts';
import { requestFacts } from '../http/request-facts.ts';
import { clientNetwork } from '../lib/ip.ts';
import { DEVICE_CODE_GRANT, deviceRequestMarks } from './device-flow.ts';

/** wrong codes one network may enter on /device (RFC 8628 §5.1) before it has to wait */
export const WRONG_CODE_LIMIT = 10;
export const WRONG_CODE_WINDOW_MINUTES = 15;
/**
 * How often a device may poll the token endpoint: RFC 8628's default interval is 5 seconds; a
 * poll sooner than 4 seconds after the last answered one (a second of leeway for the network)
 * is answered slow_down, which tells the device to wait 5 seconds longer from then on.
 */
export const POLL_INTERVAL_SECONDS = 5;
const POLL_MIN_GAP_MS = 4_000;

const ROUTES = { verification: '/device', authorization: '/device/auth', token: '/token' };

/**
 * What oidc-provider's device flow leaves to the deployment, in front of it:
 * - wrong user codes are counted per client network (an IPv4 address, an IPv6 /64) in the shared
 *   atomic counters, before the code is looked up, so parallel guesses cannot exceed the limit;
 *   a code that exists gives its count back; past the limit every entry is a 429 page.
 * - polling faster than the interval is answered slow_down (oidc-provider 9 never sends it).
 * - a client not registered for the grant is refused with unauthorized_client (RFC 6749 §5.2),
 *   which oidc-provider reports as invalid_request.
 * - a verification_uri_complete link fills the code in on the page, instead of oidc-provider's
 *   auto-submitting page with a script.
 */
export function deviceFlowGuard(deps: { counters: AttemptCounters; renderer: Renderer; logger: Logger }): Middleware {
  return async function deviceFlowGuard(ctx, next) {
    if (ctx.path === ROUTES.verification && ctx.method === 'POST') return countWrongCodes(deps, ctx, next);
    if (ctx.path === ROUTES.verification && ctx.method === 'GET') takeLinkedCode(ctx);
    await next();
    if (ctx.method !== 'POST' || (ctx.path !== ROUTES.token && ctx.path !== ROUTES.authorization)) return;
    const oidc = 'oidc' in ctx ? (ctx as unknown as KoaContextWithOIDC).oidc : undefined;
    const body = ctx.body as { error?: unknown } | undefined;
    if (!oidc || ctx.status !== 400 || typeof body?.error !== 'string') return;
    const deviceGrant = ctx.path === ROUTES.authorization || oidc.params?.grant_type === DEVICE_CODE_GRANT;
    if (!deviceGrant) return;
    if (body.error === 'invalid_request') {
      answerUnregisteredGrant(ctx, DEVICE_CODE_GRANT, 'the client is not registered for the device authorization grant');
    } else if (body.error === 'authorization_pending' && typeof oidc.params?.device_code === 'string') {
      await slowDownIfEarly(deps.counters, ctx, oidc.params.device_code);
    }
  };
}

async function countWrongCodes(deps: { counters: AttemptCounters; renderer: Renderer; logger: Logger }, ctx: Context, next: Next) {
  const key = `device-code:${clientNetwork(requestFacts(ctx).ip)}`;
  const { ipAttempts } = await deps.counters.reserve(key, key, WRONG_CODE_WINDOW_MINUTES * 60_000);
  if (ipAttempts > WRONG_CODE_LIMIT) {
    await deps.counters.release(key, key);
    return renderTooManyCodes(deps.renderer, ctx);
  }
  try {
    await next();
  } finally {
    // only a code that does not exist is a guess; anything else gives its count back
    if (!deviceRequestMarks.unknownCode.has(ctx)) {
      await deps.counters.release(key, key).catch((err: unknown) => deps.logger.warn({ err }, 'device code count not given back'));
    }
  }
}

function renderTooManyCodes(renderer: Renderer, ctx: Context) {
  const locale = (ctx.state as Partial<RequestState>).locale ?? 'en';
  ctx.state.log?.info({ code: 'deviceFlow.limit', status: 429 }, 'request rejected');
  ctx.status = 429;
  ctx.set('Retry-After', String(WRONG_CODE_WINDOW_MINUTES * 60));
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
  ctx.body = renderer.render(
    'error',
    {
      title: renderer.translate('deviceFlow.limit.heading', locale),
      heading: renderer.translate('deviceFlow.limit.heading', locale),
      message: renderer.translate('deviceFlow.limit.message', locale),
      next: renderer.translate('deviceFlow.limit.next', locale, { minutes: WRONG_CODE_WINDOW_MINUTES }),
      requestId: ctx.state.requestId,
    },
    locale,
  );
}

/** the code of a verification_uri_complete link, kept for the page (and out of oidc-provider's sight) */
function takeLinkedCode(ctx: Context) {
  const query = new URLSearchParams(ctx.querystring);
  if (!query.has('user_code')) return;
  const code = query.get('user_code') ?? '';
  query.delete('user_code');
  ctx.querystring = query.toString();
  if (code.length <= 32) deviceRequestMarks.linkedCode.set(ctx, code);
}

/** one answered poll per device code within the interval; the rest are told to slow down */
async function slowDownIfEarly(counters: AttemptCounters, ctx: Context, deviceCode: string) {
  const key = `device-poll:${createHash('sha256').update(deviceCode).digest('base64url')}`;
  const { ipAttempts } = await counters.reserve(key, key, POLL_MIN_GAP_MS);
  if (ipAttempts <= 1) return;
  await counters.release(key, key);
  ctx.status = 400;
  ctx.body = { error: 'slow_down', error_description: `polling too fast: wait ${POLL_INTERVAL_SECONDS} seconds longer between polls from now on` };
}
