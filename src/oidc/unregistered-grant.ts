import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider answers invalid_request when a client uses a grant type it is not registered
 * for; RFC 6749 §5.2 names that unauthorized_client. Called after the provider answered: the
 * answer is rewritten only when that is really the reason (the client lacks `grant`).
 */
export function answerUnregisteredGrant(ctx: Context, grant: string, description: string): void {
  const body = ctx.body as { error?: unknown } | undefined;
  if (ctx.status !== 400 || typeof body !== 'object' || body?.error !== 'invalid_request') return;
  const client = (ctx as unknown as Partial<KoaContextWithOIDC>).oidc?.client;
  if (client && !client.grantTypeAllowed(grant)) ctx.body = { error: 'unauthorized_client', error_description: description };
}
