import Koa from 'koa';
import { join } from 'node:path';
import type { Container } from './app/container.ts';
import { projectRoot } from './app/container.ts';
import { createCsrf } from './http/csrf.ts';
import { clientIpMiddleware } from './http/client-ip.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { localeMiddleware } from './http/locale.ts';
import { errorHandler } from './http/error-handler.ts';
import { requestMetrics } from './http/request-metrics.ts';
import { countProviderEvents } from './http/provider-metrics.ts';
import { requireHttps } from './http/require-https.ts';
import { routeByPrefix } from './http/route-by-prefix.ts';
import type Router from '@koa/router';
import { createSystemRouter } from './http/system-routes.ts';
import { AppError } from './lib/errors.ts';
import { createAdapterFactory } from './oidc/adapter.ts';
import { buildConfiguration, sessionLifetimeOf } from './oidc/configuration.ts';
import { createProviderHost, type ProviderHost } from './oidc/provider-host.ts';
import { registerTokenExchange } from './oidc/token-exchange.ts';
import { createLoginRouter } from './login/router.ts';
import { createLoginStateStore } from './login/login-state.ts';
import { createFederationCallbackRouter } from './login/federation-router.ts';
import { createResetPasswordRouter } from './login/reset-password.ts';
import { createDevOutboxRouter } from './http/dev-outbox.ts';
import { createCodeDelivery } from './factors/code-delivery.ts';
import { createSecondFactors } from './factors/second-factors.ts';
import { createSecurityRouter } from './http/security-txt.ts';
import { createDemoRouter } from './app/demo-rp.ts';
import { demoEnabled } from './app/demo-data.ts';
import { createAccountSecurityRouter } from './console/security-router.ts';
import { createSecurityUnlocks } from './console/unlock-store.ts';
import { createAccountRouter } from './console/account-router.ts';
import { withConsoleClients } from './console/console-client.ts';
import { recordSessions } from './oidc/session-recorder.ts';
import { deviceFlowGuard } from './oidc/device-flow-guard.ts';
import { createSessionIndex } from './accounts/session-index.ts';
import { createAccountSettings } from './accounts/account-settings.ts';
import { createAccountNotices } from './accounts/account-notices.ts';
import { createLinkPagesRouter, LINK_PAGE_PREFIXES } from './console/link-pages.ts';
import { ADMIN_PREFIX, createAdminRouter } from './admin/router.ts';
import { createNotMeRouter, NOT_ME_PREFIX } from './console/not-me-page.ts';

export interface LatchkeyApp {
  app: Koa;
  host: ProviderHost;
}

/**
 * Order matters: request id and client IP first, then headers and errors, our routers,
 * the provider, and our own 404 last (oidc-provider 9 has none).
 */
export async function createApp(c: Container): Promise<LatchkeyApp> {
  const { settings } = c;
  const https = c.issuer.startsWith('https://');
  const { renderer } = c;
  const csrf = createCsrf({ issuer: c.issuer });
  // the provider also knows each tenant's built-in account console client (no database row)
  const sessionLifetime = sessionLifetimeOf(settings);
  const adapter = createAdapterFactory({ kv: c.kv, clients: withConsoleClients(c.clients, c.tenants, c.issuer), clock: c.clock, sessionLifetime });
  const host = await createProviderHost({
    issuer: c.issuer,
    keys: c.keys,
    logger: c.logger,
    reloadIntervalSeconds: settings.KEYS_RELOAD_INTERVAL,
    extend: (provider, built) => registerTokenExchange(provider, built, { users: c.users, audit: c.audit, clock: c.clock }),
    configuration: (jwks) =>
      buildConfiguration({ settings, renderer, users: c.users, tenants: c.tenants, adapter, cookieKeys: c.secrets.cookieKeys, jwks, clock: c.clock }),
  });

  const app = new Koa();
  // oidc-provider mounted in Koa signs its cookies with these keys.
  app.keys = c.secrets.cookieKeys;
  // Forwarded headers are only left in place for trusted proxies (clientIpMiddleware).
  app.proxy = true;
  app.silent = true;

  app.use(requestContext(c.logger));
  app.use(requestMetrics(c.metrics));
  app.use(clientIpMiddleware(settings.TRUST_PROXY, { issuerHost: new URL(c.issuer).host }));
  app.use(securityHeaders({ https }));
  app.use(localeMiddleware());
  app.use(errorHandler(renderer, c.metrics));
  app.use(requireHttps(c.issuer));

  const probes = [
    { name: 'database', check: () => c.db.ping() },
    { name: c.redis ? 'redis' : 'memory-store', check: () => c.kv.ping() },
  ];
  const codes = createCodeDelivery({ challenges: c.challenges, phone: c.phone, notifications: c.notifications, translate: renderer.translate });
  const loginDeps = {
    host,
    tenants: c.tenants,
    users: c.users,
    renderer,
    csrf,
    guard: c.guard,
    passwords: c.passwords,
    recovery: c.recovery,
    userSessions: c.userSessions,
    notifications: c.notifications,
    audit: c.audit,
    logger: c.logger,
    clock: c.clock,
    loginState: createLoginStateStore(c.kv, settings.INTERACTION_TTL),
    factors: c.factors,
    challenges: c.challenges,
    counters: c.counters,
    phone: c.phone,
    devices: c.devices,
    issuer: c.issuer,
    federation: c.federation,
    codes,
    passkeys: c.passkeys,
    secondFactors: createSecondFactors({
      factors: c.factors,
      challenges: c.challenges,
      codes,
      counters: c.counters,
      passkeys: c.passkeys,
    }),
  };
  const sessionIndex = createSessionIndex(c.kv, c.clock, sessionLifetime);
  const consoleDeps = {
    ...loginDeps,
    unlocks: createSecurityUnlocks(c.kv, c.clock),
    profiles: c.profiles,
    clients: c.clients,
    sessions: sessionIndex,
    accountSettings: createAccountSettings({ db: c.db, audit: c.audit }),
    apiTokens: c.apiTokens,
    notices: createAccountNotices({ mailer: c.mailer, composer: renderer }),
  };
  const system = createSystemRouter({
    probes,
    metrics: c.metrics.registry,
    publicDir: join(projectRoot, 'public'),
    probeFailed: (name) => {
      if (name === 'database' || name === 'redis') c.metrics.storeError(name, 'readiness');
    },
  });
  const routers: Record<string, Router> = {
    '/healthz': system,
    '/readyz': system,
    '/metrics': system,
    '/assets': system,
    '/interaction': createLoginRouter(loginDeps, { bodyLimitKb: settings.BODY_LIMIT_KB }),
    '/federation': createFederationCallbackRouter(loginDeps),
    '/password/reset': createResetPasswordRouter({ ...loginDeps, tokens: c.resetTokens }, { bodyLimitKb: settings.BODY_LIMIT_KB }),
    '/account': createAccountRouter(consoleDeps, { bodyLimitKb: settings.BODY_LIMIT_KB }),
    '/account/security': createAccountSecurityRouter(consoleDeps, { bodyLimitKb: settings.BODY_LIMIT_KB }),
  };
  // the links of invitation and email-change emails: one router, answering under both prefixes
  const linkPages = createLinkPagesRouter({ ...loginDeps, invitations: c.invitations, emailChanges: c.emailChanges }, { bodyLimitKb: settings.BODY_LIMIT_KB });
  for (const prefix of LINK_PAGE_PREFIXES) routers[prefix] = linkPages;
  // the "This wasn't me" link of security notices
  routers[NOT_ME_PREFIX] = createNotMeRouter({ renderer, csrf, notMeReports: c.notMeReports }, { bodyLimitKb: settings.BODY_LIMIT_KB });
  routers[ADMIN_PREFIX] = createAdminRouter(c, { bodyLimitKb: settings.BODY_LIMIT_KB });
  const security = createSecurityRouter(settings, c.issuer, renderer, () => c.clock.now());
  routers['/.well-known/security.txt'] = security;
  routers['/security'] = security;
  if (settings.NODE_ENV !== 'production' && (c.mailer.transport === 'outbox' || c.phone.transport === 'outbox'))
    routers['/dev/outbox'] = createDevOutboxRouter(c.db, renderer);
  if (demoEnabled(c)) routers['/demo'] = createDemoRouter(c, renderer);
  app.use(routeByPrefix(routers));

  countProviderEvents(host, c.metrics);
  app.use(recordSessions(host, sessionIndex, c.logger));
  app.use(deviceFlowGuard({ counters: c.counters, renderer, logger: c.logger }));
  // named functions: they name the middleware spans when tracing is on
  app.use(function oidcProvider(ctx, next) {
    return host.middleware(ctx, next);
  });
  app.use(function notFound() {
    throw new AppError(404, 'error.notFound', 'There is nothing at this address.');
  });
  return { app, host };
}
