import Router from '@koa/router';
import compose from 'koa-compose';
import type { Context, Middleware, Next } from 'koa';
import { AppError } from '../lib/errors.ts';
import type { Tenant } from '../accounts/tenants.ts';
import type { AdminDeps, AdminRouterDeps } from './deps.ts';
import type { AdminRoute } from './route.ts';
import { ADMIN_ROUTES } from './routes/index.ts';
import { adminErrors, invalidInput, type InputPart } from './errors.ts';
import { identifyCaller, requireScope, type Caller } from './caller.ts';
import { resolveTenant } from './tenant-access.ts';
import { jsonBody } from './json-body.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { createUserDirectory } from './user-directory.ts';
import { createAccessTokenVerifier } from './access-tokens.ts';

export const ADMIN_PREFIX = '/admin/v1';

/** the resource indicator (RFC 8707) a client asks access tokens for, and so their audience */
export const adminAudience = (issuer: string) => `${issuer}${ADMIN_PREFIX}`;

const koaPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
const pathPattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`);

/**
 * The admin REST API. For each route, in this order: bearer token (401), tenant in the path
 * (403), scope (403), JSON body with a size limit (413/415/400), path, query and body against
 * the route's schemas (400), then the handler. Every answer is JSON and never cached.
 */
export function createAdminRouter(deps: AdminRouterDeps, options: { bodyLimitKb: number; routes?: readonly AdminRoute[] }): Router {
  const routes = options.routes ?? ADMIN_ROUTES;
  const full: AdminDeps = {
    ...deps,
    webhooks: deps.webhooks.settings,
    directory: createUserDirectory(deps.db),
    accessTokens: createAccessTokenVerifier({ issuer: deps.issuer, audience: adminAudience(deps.issuer), keys: deps.keys, clock: deps.clock }),
  };
  const document = buildOpenApiDocument(routes, { issuer: deps.issuer, audience: adminAudience(deps.issuer) });
  const body = jsonBody(options.bodyLimitKb);

  const router = new Router({ prefix: ADMIN_PREFIX });
  router.use(adminErrors());
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = document;
  });
  for (const route of routes) {
    const steps: Middleware[] = [authorize(full, route)];
    if (route.method !== 'get') steps.push(body);
    steps.push(handle(full, route));
    router[route.method](koaPath(route.path), compose(steps));
  }
  const patterns = routes.map((r) => ({ method: r.method.toUpperCase(), pattern: pathPattern(r.path) }));
  router.all('{/*rest}', (ctx) => {
    const rest = ctx.path.slice(ADMIN_PREFIX.length) || '/';
    const allowed = patterns.filter((p) => p.pattern.test(rest)).map((p) => p.method);
    if (rest === '/openapi.json') allowed.push('GET');
    if (!allowed.length) throw new AppError(404, 'route.not_found', 'There is no such admin API route');
    ctx.set('Allow', [...new Set(allowed)].join(', '));
    throw new AppError(405, 'route.method_not_allowed', `Use ${[...new Set(allowed)].join(' or ')} here`);
  });
  return router;
}

interface AdminState {
  caller: Caller;
  tenant?: Tenant;
}

function authorize(deps: AdminDeps, route: AdminRoute): Middleware {
  return async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    const caller = await identifyCaller(ctx, deps);
    const state: AdminState = { caller };
    // the tenant before the scope: another tenant's path is refused the same way for every token
    if (route.tenantScoped) {
      state.tenant = await resolveTenant(deps.tenants, caller, String(ctx.params.tenant ?? ''));
      ctx.state.tenantId = state.tenant.id;
    }
    requireScope(caller, route.scope);
    ctx.state.admin = state;
    await next();
  };
}

function handle(deps: AdminDeps, route: AdminRoute): Middleware {
  return async (ctx: Context) => {
    const { caller, tenant } = ctx.state.admin as AdminState;
    const params = validate('path', route.params, { ...ctx.params });
    const query = validate('query', route.query, { ...ctx.query }) ?? {};
    const input = ctx.request.body as unknown;
    if (!route.body && input !== undefined && !isEmptyObject(input)) {
      throw new AppError(400, 'request.invalid', 'The request is not valid: body: this call takes no body', {
        details: { issues: [{ in: 'body', path: '', code: 'unexpected', message: 'this call takes no body' }] },
      });
    }
    const body = route.body ? validate('body', route.body, input) : undefined;
    const result = await route.handle({
      ctx,
      deps,
      caller,
      params: (params ?? {}) as Record<string, unknown>,
      query: query as Record<string, unknown>,
      body,
      ...(tenant ? { tenant } : {}),
    });
    ctx.status = route.status;
    if (route.status !== 204) ctx.body = result;
  };
}

function validate(part: InputPart, schema: AdminRoute['params'] | AdminRoute['body'], value: unknown): unknown {
  if (!schema) {
    if (part === 'query' && value && Object.keys(value).length) {
      throw new AppError(400, 'request.invalid', 'The request is not valid: query: this call takes no query parameters');
    }
    return value;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidInput(part, parsed.error);
  return parsed.data;
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
