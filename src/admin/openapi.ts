import { z } from 'zod';
import type { AdminRoute } from './route.ts';
import { errorSchema } from './schemas.ts';
import { ADMIN_SCOPES, SCOPE_DESCRIPTIONS } from './scopes.ts';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'The input is not valid (request.invalid lists each issue with in, path and message), or malformed JSON (request.invalid_json)',
  401: 'No bearer token, or one that is not valid, has expired or was revoked (auth.required, auth.invalid_token)',
  403: "The token lacks the scope (auth.insufficient_scope), its user is no longer an admin (auth.not_admin), or the tenant is not the token's (tenant.forbidden)",
  404: 'No such resource in this tenant',
  409: 'The resource is not in a state that allows this',
  413: 'The request body is larger than the limit (request.too_large)',
  415: 'The request body is not application/json (request.unsupported_media_type)',
  429: 'Too many requests',
};

/** JSON Schemas from zod, with named schemas (`.meta({ id })`) gathered in components */
function schemaConverter() {
  const components: Record<string, Json> = {};
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewrite(v)]),
    );
  };
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const { $schema: _dialect, $defs, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
      const moved = rewrite(def) as Json;
      if (components[id] && JSON.stringify(components[id]) !== JSON.stringify(moved)) throw new Error(`two different schemas are named ${id}`);
      components[id] = moved;
    }
    return rewrite(json) as Json;
  };
  return { convert, components };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', convert: (s: z.ZodType, io: 'input') => Json): Json[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: rest, ...(description ? { description } : {}) };
  });
}

function operation(route: AdminRoute, convert: ReturnType<typeof schemaConverter>['convert']): Json {
  const errors = new Set<number>([401, 403, ...(route.params || route.query || route.body ? [400] : []), ...(route.errors ?? [])]);
  const responses: Json = {
    [route.status]: route.response
      ? { description: route.summary, content: { 'application/json': { schema: convert(route.response, 'output') } } }
      : { description: `${route.summary}: done, no content` },
  };
  for (const status of [...errors].sort()) responses[status] = { $ref: `#/components/responses/E${status}` };
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: [{ apiToken: [] }, { oauth: [route.scope] }],
    'x-required-scope': route.scope,
    parameters: [...parameters(route.params, 'path', convert), ...parameters(route.query, 'query', convert)],
    ...(route.body
      ? {
          requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: convert(route.body, 'input') } } },
        }
      : {}),
    responses,
  };
}

/** the OpenAPI 3.1 document of the admin API, built from the route table's own schemas */
export function buildOpenApiDocument(routes: readonly AdminRoute[], options: { issuer: string; audience: string }): Json {
  const { convert, components } = schemaConverter();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, Json>)[route.method] = operation(route, convert);
  }
  const errorRef = convert(errorSchema, 'output');
  const responses = Object.fromEntries(
    Object.entries(ERROR_TEXT).map(([status, description]) => [`E${status}`, { description, content: { 'application/json': { schema: errorRef } } }]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey admin API',
      version: '1',
      description:
        'Tenant administration. Every call needs a bearer token: an API token (lk_...) of an owner or admin, or a JWT access token from this Latchkey ' +
        `issued for the resource ${options.audience}. Scopes: ${ADMIN_SCOPES.map((s) => `${s} (${SCOPE_DESCRIPTIONS[s]})`).join(', ')}.`,
    },
    servers: [{ url: `${options.issuer}/admin/v1` }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      responses,
      securitySchemes: {
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'lk_<id>_<secret>',
          description: 'a personal API token (POST /tokens or `latchkey token create`)',
        },
        oauth: {
          type: 'oauth2',
          description: `a JWT access token from this issuer for the resource indicator ${options.audience} (RFC 8707)`,
          flows: {
            authorizationCode: {
              authorizationUrl: `${options.issuer}/auth`,
              tokenUrl: `${options.issuer}/token`,
              scopes: Object.fromEntries(ADMIN_SCOPES.map((s) => [s, SCOPE_DESCRIPTIONS[s]])),
            },
          },
        },
      },
    },
  };
}
