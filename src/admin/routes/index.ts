import type { AdminRoute } from '../route.ts';
import { tenantRoutes } from './tenants.ts';
import { userRoutes } from './users.ts';
import { userActionRoutes } from './user-actions.ts';
import { userPasskeyRoutes } from './user-passkeys.ts';
import { clientRoutes } from './clients.ts';
import { auditRoutes } from './audit.ts';
import { tokenRoutes } from './tokens.ts';
import { childRoutes } from './children.ts';
import { webhookRoutes } from './webhook.ts';
import { providerRoutes } from './providers.ts';

/** every admin API route: the router serves exactly these and the OpenAPI document describes exactly these */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...tenantRoutes,
  ...childRoutes,
  ...webhookRoutes,
  ...userRoutes,
  ...userActionRoutes,
  ...userPasskeyRoutes,
  ...clientRoutes,
  ...providerRoutes,
  ...auditRoutes,
  ...tokenRoutes,
];
