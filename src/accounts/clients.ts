import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { ClientEntity } from '../store/entities/index.ts';
import type { ClientMetadata } from '../store/entities/client.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';

export const CLIENT_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const SECRET_PURPOSE = 'client-secret';

const redirectUri = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const url = new URL(v);
        return !url.hash && !url.username && !url.password && !['javascript:', 'data:', 'file:'].includes(url.protocol);
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute URL without fragment or credentials' },
  );

/**
 * Where the account console sends a user whose start page is this application (OpenID Connect
 * Core §4, "Initiating Login from a Third Party"): https, or http on localhost for development.
 */
const initiateLoginUri = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (v) => {
      try {
        const url = new URL(v);
        const local = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
        return (url.protocol === 'https:' || local) && !url.hash && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an https URL (or http://localhost) without fragment or credentials' },
  );

/** what an admin says about a client; clientInputSchema adds the tenant and the cross-field rules */
export const clientFieldsSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    redirectUris: z.array(redirectUri).max(20).default([]),
    postLogoutRedirectUris: z.array(redirectUri).max(20).default([]),
    grants: z.array(z.enum(CLIENT_GRANTS)).min(1).default(['authorization_code', 'refresh_token']),
    public: z.boolean().default(false),
    firstParty: z.boolean().default(true),
    backchannelLogoutUri: redirectUri.optional(),
    initiateLoginUri: initiateLoginUri.optional(),
    /** resource servers (RFC 8707) this client may ask tokens for, with the scopes they define */
    resources: z
      .array(
        z.object({
          resource: redirectUri,
          scope: z
            .string()
            .trim()
            .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scope tokens'),
        }),
      )
      .max(20)
      .default([]),
  })
  .strict();

export const clientInputSchema = clientFieldsSchema.extend({ tenantId: z.uuid() }).superRefine((c, ctx) => {
  if (c.grants.includes('authorization_code') && c.redirectUris.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'at least one redirect URI is needed for authorization_code' });
  }
  if (c.public && c.grants.includes('client_credentials')) {
    ctx.addIssue({ code: 'custom', path: ['grants'], message: 'a public client cannot use client_credentials' });
  }
  if (c.grants.includes('refresh_token') && !c.grants.includes('authorization_code')) {
    ctx.addIssue({ code: 'custom', path: ['grants'], message: 'refresh_token needs authorization_code' });
  }
});
export type ClientInput = z.input<typeof clientInputSchema>;

export const clientRedirectsSchema = z
  .object({
    redirectUris: z.array(redirectUri).max(20).optional(),
    postLogoutRedirectUris: z.array(redirectUri).max(20).optional(),
  })
  .strict();
export type ClientRedirects = z.input<typeof clientRedirectsSchema>;

const invalid = (issue: z.core.$ZodIssue) => new AppError(400, 'client.invalid', `${issue.path.join('.') || 'client'} ${issue.message}`);

export interface RegisteredClient {
  clientId: string;
  tenantId: string;
  name: string;
  firstParty: boolean;
  /** oidc-provider metadata including client_secret (in the clear, only in memory) */
  metadata: ClientMetadata & { client_id: string; client_secret?: string; client_name: string };
}

export interface ClientService {
  create(input: ClientInput): Promise<{ clientId: string; clientSecret?: string }>;
  find(clientId: string): Promise<RegisteredClient | undefined>;
  listForTenant(tenantId: string): Promise<RegisteredClient[]>;
  /** a new secret for a confidential client of the tenant, returned this once; the old one stops working */
  rotateSecret(tenantId: string, clientId: string): Promise<{ clientId: string; clientSecret: string }>;
  /** replaces the lists given; returns both versions for the audit trail */
  updateRedirects(tenantId: string, clientId: string, input: ClientRedirects): Promise<{ before: Required<ClientRedirects>; after: Required<ClientRedirects> }>;
  remove(tenantId: string, clientId: string): Promise<void>;
}

export function createClientService(deps: { db: Database; box: SealedBox }): ClientService {
  const { db, box } = deps;
  return {
    async create(input) {
      const parsed = clientInputSchema.safeParse(input);
      if (!parsed.success) throw invalid(parsed.error.issues[0]!);
      const c = parsed.data;
      const clientId = randomBytes(16).toString('base64url');
      const clientSecret = c.public ? undefined : randomBytes(32).toString('base64url');
      const metadata: ClientMetadata = {
        redirect_uris: c.redirectUris,
        post_logout_redirect_uris: c.postLogoutRedirectUris,
        grant_types: c.grants,
        response_types: c.grants.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
        ...(c.resources.length ? { allowed_resources: c.resources } : {}),
        ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
        ...(c.initiateLoginUri ? { initiate_login_uri: c.initiateLoginUri } : {}),
      };
      const em = db.em();
      em.create(ClientEntity, {
        id: clientId,
        tenant: c.tenantId,
        name: c.name,
        firstParty: c.firstParty,
        metadata,
        secretSealed: clientSecret ? box.seal(clientSecret, `${SECRET_PURPOSE}:${clientId}`) : null,
      });
      await em.flush();
      return clientSecret ? { clientId, clientSecret } : { clientId };
    },

    async find(clientId) {
      if (typeof clientId !== 'string' || clientId.length > 64) return undefined;
      const row = await db.em().findOne(ClientEntity, { id: clientId });
      return row ? toRegistered(row) : undefined;
    },

    async listForTenant(tenantId) {
      const rows = await db.em().find(ClientEntity, { tenant: tenantId }, { orderBy: { createdAt: 'asc' } });
      return rows.map(toRegistered);
    },

    async rotateSecret(tenantId, clientId) {
      const em = db.em();
      const row = await findOwned(em, tenantId, clientId);
      if (!row.secretSealed) throw conflict('client.public', 'A public client has no secret to rotate');
      const clientSecret = randomBytes(32).toString('base64url');
      row.secretSealed = box.seal(clientSecret, `${SECRET_PURPOSE}:${clientId}`);
      await em.flush();
      return { clientId, clientSecret };
    },

    async updateRedirects(tenantId, clientId, input) {
      const parsed = clientRedirectsSchema.safeParse(input);
      if (!parsed.success) throw invalid(parsed.error.issues[0]!);
      const em = db.em();
      const row = await findOwned(em, tenantId, clientId);
      const before = { redirectUris: row.metadata.redirect_uris, postLogoutRedirectUris: row.metadata.post_logout_redirect_uris ?? [] };
      const after = { ...before, ...parsed.data } as Required<ClientRedirects>;
      if (row.metadata.grant_types.includes('authorization_code') && after.redirectUris.length === 0) {
        throw new AppError(400, 'client.invalid', 'redirectUris at least one redirect URI is needed for authorization_code');
      }
      row.metadata = { ...row.metadata, redirect_uris: after.redirectUris, post_logout_redirect_uris: after.postLogoutRedirectUris };
      await em.flush();
      return { before, after };
    },

    async remove(tenantId, clientId) {
      const em = db.em();
      em.remove(await findOwned(em, tenantId, clientId));
      await em.flush();
    },
  };

  /** the client only when it is the tenant's: another tenant's client is as unknown as a missing one */
  async function findOwned(em: ReturnType<Database['em']>, tenantId: string, clientId: string) {
    const row = typeof clientId === 'string' && clientId.length <= 64 ? await em.findOne(ClientEntity, { id: clientId, tenant: tenantId }) : null;
    if (!row) throw notFound('client.not_found', 'No such client in this tenant');
    return row;
  }

  function toRegistered(row: {
    id: string;
    tenant: { id: string };
    name: string;
    firstParty: boolean;
    secretSealed?: string | null;
    metadata: ClientMetadata;
  }): RegisteredClient {
    const secret = row.secretSealed ? box.open(row.secretSealed, `${SECRET_PURPOSE}:${row.id}`) : undefined;
    return {
      clientId: row.id,
      tenantId: row.tenant.id,
      name: row.name,
      firstParty: row.firstParty,
      metadata: {
        ...row.metadata,
        client_id: row.id,
        client_name: row.name,
        ...(secret ? { client_secret: secret } : {}),
      },
    };
  }
}
