import { readFileSync } from 'node:fs';
import type { Container } from '../app/container.ts';
import { AppError } from '../lib/errors.ts';
import { CLIENT_GRANTS, clientInputSchema, clientUpdateSchema, type ClientInput, type ClientUpdate } from '../accounts/clients.ts';
import { CLIENT_AUTH_METHODS } from '../accounts/client-keys.ts';
import { changes } from '../admin/changes.ts';
import type { CliCommand } from './lifecycle-commands.ts';

type Values = Record<string, string | string[] | boolean | undefined>;

export const CLIENT_USAGE = `  client create --tenant NAME --name NAME --redirect-uri URI [--redirect-uri URI ...]
              [--grant GRANT[,GRANT...]]  (${CLIENT_GRANTS.join(', ')})
              [--public] [--third-party] [--post-logout-redirect-uri URI ...] [--backchannel-logout-uri URI]
              [--initiate-login-uri URI]  (https, or http://localhost: where a user's start page sends them)
              [--resource URI=SCOPE[ SCOPE...] ...]
              [--native]  an app on a phone or desktop: public, loopback redirects (http://127.0.0.1/cb) match on any
              port, private-use schemes (com.example.app:/cb) allowed
              [--auth-method ${CLIENT_AUTH_METHODS.join('|')}]
              [--jwks FILE|JSON | --jwks-uri URI]  public keys for private_key_jwt and signed request objects
              [--require-par]  authorization requests must come through PAR (docs/clients.md)
  client set-keys --tenant NAME --client-id ID (--jwks FILE|JSON | --jwks-uri URI)
              replaces the client's public keys; to rotate, list the old and the new key, then only the new one`;

const one = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AppError(400, 'cli.missing_option', `--${name} is required`);
  return v;
};
const many = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** the flag each field comes from, to say which one is wrong */
const FLAG_OF: Record<string, string> = {
  name: 'name',
  redirectUris: 'redirect-uri',
  postLogoutRedirectUris: 'post-logout-redirect-uri',
  grants: 'grant',
  public: 'public',
  applicationType: 'native',
  tokenEndpointAuthMethod: 'auth-method',
  jwks: 'jwks',
  jwksUri: 'jwks-uri',
  backchannelLogoutUri: 'backchannel-logout-uri',
  initiateLoginUri: 'initiate-login-uri',
  resources: 'resource',
  requirePushedAuthorizationRequests: 'require-par',
};
/** checks the command line before connecting; the tenant id is filled in later */
const NO_TENANT = '00000000-0000-4000-8000-000000000000';

/** --jwks: a JSON Web Key Set inline (it starts with {) or in a file */
function jwksOption(v: Values): unknown {
  const value = v.jwks;
  if (typeof value !== 'string') return undefined;
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (err) {
      throw new AppError(400, 'cli.invalid_option', `--jwks: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError(400, 'cli.invalid_option', '--jwks: not JSON (a JSON Web Key Set: {"keys":[...]})');
  }
}

function usageError(issue: { path: PropertyKey[]; message: string }): AppError {
  const field = String(issue.path[0] ?? 'name');
  const at = issue.path.slice(1).join('.');
  return new AppError(400, 'cli.invalid_option', `--${FLAG_OF[field] ?? field}${at ? ` (${at})` : ''}: ${issue.message}`);
}

/** the registration the command line describes, or a usage error naming the flag */
function clientInput(v: Values, tenantId: string): ClientInput {
  const grants = many(v.grant)
    .flatMap((g) => g.split(','))
    .map((g) => g.trim())
    .filter(Boolean);
  const resources = many(v.resource).map((r) => {
    const [resource = '', scope = ''] = r.split('=', 2);
    return { resource, scope };
  });
  const jwks = jwksOption(v);
  const input = {
    tenantId,
    name: one(v.name, 'name'),
    redirectUris: many(v['redirect-uri']),
    postLogoutRedirectUris: many(v['post-logout-redirect-uri']),
    ...(grants.length ? { grants } : {}),
    ...(v.public === true ? { public: true } : {}),
    ...(v.native === true ? { applicationType: 'native' } : {}),
    ...(typeof v['auth-method'] === 'string' ? { tokenEndpointAuthMethod: v['auth-method'] } : {}),
    ...(jwks !== undefined ? { jwks } : {}),
    ...(typeof v['jwks-uri'] === 'string' ? { jwksUri: v['jwks-uri'] } : {}),
    ...(v['require-par'] === true ? { requirePushedAuthorizationRequests: true } : {}),
    firstParty: v['third-party'] !== true,
    ...(typeof v['backchannel-logout-uri'] === 'string' ? { backchannelLogoutUri: v['backchannel-logout-uri'] } : {}),
    ...(resources.length ? { resources } : {}),
    ...(typeof v['initiate-login-uri'] === 'string' ? { initiateLoginUri: v['initiate-login-uri'] } : {}),
  };
  const parsed = clientInputSchema.safeParse(input);
  if (!parsed.success) throw usageError(parsed.error.issues[0]!);
  return input as ClientInput;
}

/** the new keys the command line gives, or a usage error */
function keysInput(v: Values): ClientUpdate {
  const jwks = jwksOption(v);
  const jwksUri = typeof v['jwks-uri'] === 'string' ? v['jwks-uri'] : undefined;
  if ((jwks === undefined) === (jwksUri === undefined)) throw new AppError(400, 'cli.missing_option', 'give --jwks or --jwks-uri (one of them)');
  const input = jwks !== undefined ? { jwks } : { jwksUri };
  const parsed = clientUpdateSchema.safeParse(input);
  if (!parsed.success) throw usageError(parsed.error.issues[0]!);
  return input as ClientUpdate;
}

export const CLIENT_COMMANDS: Record<string, CliCommand> = {
  'client create': {
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true },
      public: { type: 'boolean' },
      'third-party': { type: 'boolean' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      'initiate-login-uri': { type: 'string' },
      resource: { type: 'string', multiple: true },
      native: { type: 'boolean' },
      'auth-method': { type: 'string' },
      jwks: { type: 'string' },
      'jwks-uri': { type: 'string' },
      'require-par': { type: 'boolean' },
    },
    check: (v) => {
      one(v.tenant, 'tenant');
      clientInput(v, NO_TENANT);
    },
    run: async (c: Container, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const created = await c.clients.create(clientInput(v, tenant.id));
      return { client_id: created.clientId, ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
    },
  },
  'client set-keys': {
    options: { tenant: { type: 'string' }, 'client-id': { type: 'string' }, jwks: { type: 'string' }, 'jwks-uri': { type: 'string' } },
    check: (v) => {
      one(v.tenant, 'tenant');
      one(v['client-id'], 'client-id');
      keysInput(v);
    },
    run: async (c: Container, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const clientId = one(v['client-id'], 'client-id');
      const { before, after } = await c.clients.update(tenant.id, clientId, keysInput(v));
      const diff = changes(before, after);
      if (diff) await c.audit.record({ action: 'client.updated', tenantId: tenant.id, actor: 'cli', details: { clientId, ...diff } });
      return {
        client_id: clientId,
        ...(after.jwks ? { kids: after.jwks.keys.map((k) => k.kid ?? '(no kid)') } : {}),
        ...(after.jwksUri ? { jwks_uri: after.jwksUri } : {}),
      };
    },
  },
};
