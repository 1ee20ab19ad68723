import Router from '@koa/router';
import { createHash, randomBytes } from 'node:crypto';
import type { Container } from './container.ts';
import type { Renderer } from '../http/views.ts';
import { DEMO_TENANT } from './demo-data.ts';
import { AppError } from '../lib/errors.ts';
import { hostCookie } from '../lib/cookie-names.ts';

/**
 * A tiny relying application at /demo, only outside production while demo data exists:
 * it runs authorization code + PKCE against this Latchkey with the demo client and shows
 * the tokens' claims, so a newcomer can try a sign-in with nothing else installed.
 */
export function createDemoRouter(c: Container, renderer: Renderer): Router {
  const router = new Router({ prefix: '/demo' });
  const redirectUri = `${c.issuer}/demo/callback`;
  // a whole-host cookie like every other (src/lib/cookie-names.ts): __Host-lk.demo, Secure, on an https issuer
  const cookie = hostCookie(c.issuer, 'lk.demo');
  const cookieOptions = { ...cookie.options, signed: true, maxAge: 600_000 };

  const demoClient = async () => {
    const tenant = await c.tenants.findByName(DEMO_TENANT);
    const client = tenant ? (await c.clients.listForTenant(tenant.id)).find((x) => x.metadata.redirect_uris.includes(redirectUri)) : undefined;
    if (!client?.metadata.client_secret) throw new AppError(404, 'error.notFound', 'The demo client does not exist');
    return { id: client.clientId, secret: client.metadata.client_secret };
  };

  router.get('/', async (ctx) => {
    await demoClient();
    ctx.type = 'html';
    ctx.body = renderer.render('demo', { title: 'Demo application' }, ctx.state.locale);
  });

  router.get('/start', async (ctx) => {
    const client = await demoClient();
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    ctx.cookies.set(cookie.name, `${state}.${verifier}`, cookieOptions);
    const url = new URL(`${c.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: client.id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.redirect(url.toString());
  });

  router.get('/callback', async (ctx) => {
    const [state, verifier] = (ctx.cookies.get(cookie.name, { signed: true }) ?? '').split('.');
    ctx.cookies.set(cookie.name, null, cookieOptions);
    if (!state || ctx.query.state !== state)
      throw new AppError(400, 'demo.state', 'The demo sign-in was started in another browser or expired; start again at /demo');
    if (typeof ctx.query.error === 'string') throw new AppError(400, 'demo.denied', `The sign-in ended with: ${ctx.query.error}`);
    const client = await demoClient();
    const res = await fetch(`${c.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: String(ctx.query.code ?? ''), redirect_uri: redirectUri, code_verifier: verifier! }),
    });
    const tokens = (await res.json()) as { id_token?: string; access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !tokens.id_token)
      throw new AppError(400, 'demo.token', `The token request failed: ${tokens.error_description ?? tokens.error ?? res.status}`);
    // The ID token came straight from our own token endpoint, so it is shown, not re-verified.
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const userinfo = (await (await fetch(`${c.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as unknown;
    ctx.type = 'html';
    ctx.body = renderer.render(
      'demo',
      {
        title: 'Demo application',
        claims: JSON.stringify(claims, null, 2),
        userinfo: JSON.stringify(userinfo, null, 2),
      },
      ctx.state.locale,
    );
  });
  return router;
}
