import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { WebhookView } from '../webhooks/webhook-settings.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { iso, timestamp } from '../schemas.ts';

const webhookSchema = z
  .object({
    url: z.string(),
    createdAt: timestamp,
    deliveries: z.object({ pending: z.int(), delivered: z.int(), failed: z.int() }).describe('deliveries kept, by state (completed ones for 7 days)'),
  })
  .meta({ id: 'Webhook' });

const putBody = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe('https (http outside production); loopback and private addresses are refused unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set'),
  })
  .strict();

const view = (w: WebhookView): z.input<typeof webhookSchema> => ({ url: w.url, createdAt: iso(w.createdAt), deliveries: w.deliveries });

/** where the tenant's audit events are POSTed, signed (docs/admin-api.md, "Audit webhooks") */
export const webhookRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/webhook',
    operationId: 'getWebhook',
    tag: 'webhook',
    scope: 'admin:read',
    summary: "The tenant's audit webhook (never its secret)",
    status: 200,
    response: webhookSchema,
    errors: [404],
    handle: async ({ deps, tenant }) => {
      const webhook = await deps.webhooks.get(tenant.id);
      if (!webhook) throw notFound('webhook.not_found', 'This tenant has no webhook');
      return view(webhook);
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/webhook',
    operationId: 'putWebhook',
    tag: 'webhook',
    scope: 'admin:write',
    summary: 'Set the audit webhook, with a new signing secret',
    description:
      "Creates or replaces the webhook. The signing secret is generated and shown in this response only; a replaced webhook's secret stops at once and its queued deliveries are dropped.",
    body: putBody,
    status: 200,
    response: z.object({ webhook: webhookSchema, secret: z.string().describe('whsec_...: shown in this response only') }),
    errors: [409, 413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const { webhook, secret, previousUrl } = await deps.webhooks.put(tenant.id, body.url);
      await deps.audit.record({ action: 'webhook.configured', tenantId: tenant.id, ...auditBy(ctx, caller), details: { url: webhook.url, previousUrl } });
      return { webhook: view(webhook), secret };
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/webhook',
    operationId: 'deleteWebhook',
    tag: 'webhook',
    scope: 'admin:write',
    summary: 'Remove the audit webhook',
    description: 'Queued deliveries are dropped.',
    status: 204,
    errors: [404],
    handle: async ({ deps, tenant, caller, ctx }) => {
      const url = await deps.webhooks.remove(tenant.id);
      if (url === undefined) throw notFound('webhook.not_found', 'This tenant has no webhook');
      await deps.audit.record({ action: 'webhook.removed', tenantId: tenant.id, ...auditBy(ctx, caller), details: { url } });
    },
  }),
];
