import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { ClientEntity } from '../store/entities/index.ts';
import type { ClientMetadata } from '../store/entities/client.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import { APPLICATION_TYPES, redirectUri, redirectUriProblem, type ApplicationType } from './client-redirect-uris.ts';
import {
  CLIENT_AUTH_METHODS,
  SECRET_METHODS,
  checkJwksUri,
  jwksSchema,
  jwksUriSchema,
  type ClientAuthMethod,
  type Jwks,
  type OutboundRules,
} from './client-keys.ts';

export const CLIENT_GRANTS = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
const SECRET_PURPOSE = 'client-secret';

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
    /** native: an app on a phone or desktop (RFC 8252), public, redirected to the loopback interface on any port or to its own scheme */
    applicationType: z.enum(APPLICATION_TYPES).default('web'),
    /** shorthand for tokenEndpointAuthMethod none; a native application is public unless told otherwise (and then refused) */
    public: z.boolean().optional(),
    /** default: none for a public client, client_secret_basic otherwise */
    tokenEndpointAuthMethod: z.enum(CLIENT_AUTH_METHODS).optional(),
    /** the public keys of a private_key_jwt client, or of one that signs request objects */
    jwks: jwksSchema.optional(),
    /** where the application publishes those keys itself, instead of jwks */
    jwksUri: jwksUriSchema.optional(),
    /** every authorization request of this client comes through PAR (RFC 9126) */
    requirePushedAuthorizationRequests: z.boolean().default(false),
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

/** the method a registration resolves to: the one given, else none for a public or native client, else client_secret_basic */
const authMethodOf = (c: { public?: boolean | undefined; tokenEndpointAuthMethod?: ClientAuthMethod | undefined; applicationType: ApplicationType }) =>
  c.tokenEndpointAuthMethod ?? (c.public || (c.public === undefined && c.applicationType === 'native') ? 'none' : 'client_secret_basic');

export const clientInputSchema = clientFieldsSchema.extend({ tenantId: z.uuid() }).superRefine((c, ctx) => {
  const method = authMethodOf(c);
  if (c.grants.includes('authorization_code') && c.redirectUris.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'at least one redirect URI is needed for authorization_code' });
  }
  if (c.applicationType === 'native' && method !== 'none') {
    ctx.addIssue({
      code: 'custom',
      path: [c.public === false ? 'public' : 'tokenEndpointAuthMethod'],
      message: 'a native application is public (token_endpoint_auth_method none): whatever it holds, its users can read',
    });
  } else if (c.public === true && method !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'must be none for a public client' });
  } else if (c.public === false && method === 'none') {
    ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'none is for public clients' });
  }
  if (method === 'none' && c.grants.includes('client_credentials')) {
    ctx.addIssue({ code: 'custom', path: ['grants'], message: 'a public client cannot use client_credentials' });
  }
  // refresh tokens follow a user's sign-in: the code flow's, or a device's (a CLI keeps signed in)
  if (c.grants.includes('refresh_token') && !c.grants.includes('authorization_code') && !c.grants.includes('urn:ietf:params:oauth:grant-type:device_code')) {
    ctx.addIssue({ code: 'custom', path: ['grants'], message: 'refresh_token needs authorization_code or the device code grant' });
  }
  for (const [field, uris] of [
    ['redirectUris', c.redirectUris],
    ['postLogoutRedirectUris', c.postLogoutRedirectUris],
  ] as const) {
    uris.forEach((uri, i) => {
      const problem = redirectUriProblem(uri, c.applicationType);
      if (problem) ctx.addIssue({ code: 'custom', path: [field, i], message: problem });
    });
  }
  keyIssues({ method, jwks: c.jwks, jwksUri: c.jwksUri }).forEach((issue) => {
    ctx.addIssue({ code: 'custom', ...issue });
  });
});
export type ClientInput = z.input<typeof clientInputSchema>;

/** what the key settings of a client may not be, for a registration and a change alike */
function keyIssues(c: { method: string; jwks?: Jwks | null | undefined; jwksUri?: string | null | undefined }): { path: string[]; message: string }[] {
  if (c.jwks && c.jwksUri) return [{ path: ['jwksUri'], message: 'give jwks or jwksUri, not both' }];
  if (c.method === 'none' && (c.jwks || c.jwksUri)) {
    return [{ path: [c.jwks ? 'jwks' : 'jwksUri'], message: 'a public client registers no keys: every copy of it would hold the private key' }];
  }
  if (c.method === 'private_key_jwt' && !c.jwks && !c.jwksUri) return [{ path: ['jwks'], message: 'private_key_jwt needs the public keys: jwks or jwksUri' }];
  return [];
}

/** a change of a client: each field given replaces the stored one (null removes a key source) */
export const clientUpdateSchema = z
  .object({
    redirectUris: z.array(redirectUri).max(20).optional(),
    postLogoutRedirectUris: z.array(redirectUri).max(20).optional(),
    jwks: jwksSchema.nullable().optional(),
    jwksUri: jwksUriSchema.nullable().optional(),
    requirePushedAuthorizationRequests: z.boolean().optional(),
  })
  .strict();
export type ClientUpdate = z.input<typeof clientUpdateSchema>;

/** the settings a change may touch, as they stand (before/after for the audit trail) */
export type ClientSettings = {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  jwks: Jwks | null;
  jwksUri: string | null;
  requirePushedAuthorizationRequests: boolean;
};

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
  /**
   * Replaces the settings given (redirect URIs, keys, PAR); returns both versions for the audit
   * trail. Keys are replaced as a whole: a rotation lists the old and the new key, then the new one.
   */
  update(tenantId: string, clientId: string, input: ClientUpdate): Promise<{ before: ClientSettings; after: ClientSettings }>;
  remove(tenantId: string, clientId: string): Promise<void>;
}

/** outbound: the rules a jwks_uri is registered under (default: no private addresses, http allowed) */
export function createClientService(deps: { db: Database; box: SealedBox; outbound?: OutboundRules }): ClientService {
  const { db, box } = deps;
  const outbound = deps.outbound ?? { allowPrivate: false, requireHttps: false };
  return {
    async create(input) {
      const parsed = clientInputSchema.safeParse(input);
      if (!parsed.success) throw invalid(parsed.error.issues[0]!);
      const c = parsed.data;
      if (c.jwksUri) checkJwksUri(c.jwksUri, outbound);
      const method = authMethodOf(c);
      const clientId = randomBytes(16).toString('base64url');
      const clientSecret = SECRET_METHODS.includes(method) ? randomBytes(32).toString('base64url') : undefined;
      const metadata: ClientMetadata = {
        application_type: c.applicationType,
        redirect_uris: c.redirectUris,
        post_logout_redirect_uris: c.postLogoutRedirectUris,
        grant_types: c.grants,
        response_types: c.grants.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: method,
        ...(c.jwks ? { jwks: c.jwks } : {}),
        ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
        ...(c.requirePushedAuthorizationRequests ? { require_pushed_authorization_requests: true } : {}),
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
      if (!row.secretSealed) {
        if (row.metadata.token_endpoint_auth_method === 'none') throw conflict('client.public', 'A public client has no secret to rotate');
        throw conflict('client.no_secret', 'This client signs with its own key and has no secret: replace its keys (jwks or jwksUri) instead');
      }
      const clientSecret = randomBytes(32).toString('base64url');
      row.secretSealed = box.seal(clientSecret, `${SECRET_PURPOSE}:${clientId}`);
      await em.flush();
      return { clientId, clientSecret };
    },

    async update(tenantId, clientId, input) {
      const parsed = clientUpdateSchema.safeParse(input);
      if (!parsed.success) throw invalid(parsed.error.issues[0]!);
      const change = parsed.data;
      const em = db.em();
      const row = await findOwned(em, tenantId, clientId);
      const before = settingsOf(row.metadata);
      const after: ClientSettings = {
        redirectUris: change.redirectUris ?? before.redirectUris,
        postLogoutRedirectUris: change.postLogoutRedirectUris ?? before.postLogoutRedirectUris,
        // one key source replaces the other unless both are given
        jwks: change.jwks !== undefined ? change.jwks : change.jwksUri ? null : before.jwks,
        jwksUri: change.jwksUri !== undefined ? change.jwksUri : change.jwks ? null : before.jwksUri,
        requirePushedAuthorizationRequests: change.requirePushedAuthorizationRequests ?? before.requirePushedAuthorizationRequests,
      };
      if (row.metadata.grant_types.includes('authorization_code') && after.redirectUris.length === 0) {
        throw new AppError(400, 'client.invalid', 'redirectUris at least one redirect URI is needed for authorization_code');
      }
      const type = (row.metadata.application_type as ApplicationType | undefined) ?? 'web';
      for (const field of ['redirectUris', 'postLogoutRedirectUris'] as const) {
        after[field].forEach((uri, i) => {
          const problem = redirectUriProblem(uri, type);
          if (problem) throw new AppError(400, 'client.invalid', `${field}.${i} ${problem}`);
        });
      }
      const [keyIssue] = keyIssues({ method: row.metadata.token_endpoint_auth_method, jwks: after.jwks, jwksUri: after.jwksUri });
      if (keyIssue) throw new AppError(400, 'client.invalid', `${keyIssue.path.join('.')} ${keyIssue.message}`);
      if (change.jwksUri) checkJwksUri(change.jwksUri, outbound);
      const { jwks: _jwks, jwks_uri: _jwksUri, require_pushed_authorization_requests: _par, ...rest } = row.metadata;
      row.metadata = {
        ...rest,
        redirect_uris: after.redirectUris,
        post_logout_redirect_uris: after.postLogoutRedirectUris,
        ...(after.jwks ? { jwks: after.jwks } : {}),
        ...(after.jwksUri ? { jwks_uri: after.jwksUri } : {}),
        ...(after.requirePushedAuthorizationRequests ? { require_pushed_authorization_requests: true } : {}),
      };
      await em.flush();
      return { before, after };
    },

    async remove(tenantId, clientId) {
      const em = db.em();
      em.remove(await findOwned(em, tenantId, clientId));
      await em.flush();
    },
  };

  function settingsOf(metadata: ClientMetadata): ClientSettings {
    return {
      redirectUris: metadata.redirect_uris,
      postLogoutRedirectUris: metadata.post_logout_redirect_uris ?? [],
      jwks: (metadata.jwks as Jwks | undefined) ?? null,
      jwksUri: typeof metadata.jwks_uri === 'string' ? metadata.jwks_uri : null,
      requirePushedAuthorizationRequests: metadata.require_pushed_authorization_requests === true,
    };
  }

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
