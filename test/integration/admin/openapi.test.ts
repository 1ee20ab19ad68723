import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { buildOpenApiDocument } from '../../../src/admin/openapi.ts';
import { ADMIN_ROUTES } from '../../../src/admin/routes/index.ts';
import { adminAudience } from '../../../src/admin/router.ts';
import { expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

/** every $ref in the document, with where it was found */
function refs(value: unknown, at = '#'): Array<{ ref: string; at: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refs(v, `${at}/${k}`)));
}

function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<any>((node, key) => (node === undefined ? undefined : node[key]), doc);
}

describe('admin API: OpenAPI document', () => {
  const doc = buildOpenApiDocument(ADMIN_ROUTES, { issuer: 'https://id.example.test', audience: 'https://id.example.test/admin/v1' }) as Json;

  it('is an OpenAPI 3.1 document with info, a server and paths', () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.info.title).to.be.a('string').and.not.equal('');
    expect(doc.info.version).to.be.a('string');
    expect(doc.servers).to.deep.equal([{ url: 'https://id.example.test/admin/v1' }]);
    expect(Object.keys(doc.paths).length).to.be.greaterThan(10);
  });

  it('describes every route of the table, and nothing else', () => {
    const documented = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => METHODS.includes(k))
        .map((m) => `${m} ${path}`),
    );
    const table = ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).to.deep.equal([...table].sort());
    expect(new Set(table).size, 'no route twice').to.equal(table.length);
    for (const route of ADMIN_ROUTES) {
      const op = doc.paths[route.path][route.method];
      expect(op.operationId).to.equal(route.operationId);
      expect(op['x-required-scope']).to.equal(route.scope);
      expect(op.security).to.deep.include({ oauth: [route.scope] });
      expect(Object.keys(op.responses)).to.include(String(route.status));
      expect(Boolean(op.requestBody)).to.equal(Boolean(route.body));
    }
  });

  it('has unique operation ids, declared tags and declared security schemes', () => {
    const ops: Json[] = Object.values(doc.paths as Json).flatMap((item) => METHODS.filter((m) => item[m]).map((m) => item[m]));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).to.equal(ids.length);
    const tags = new Set((doc.tags as Json[]).map((t) => t.name));
    const schemes = doc.components.securitySchemes as Json;
    for (const op of ops) {
      for (const tag of op.tags) expect(tags.has(tag), tag).to.equal(true);
      for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(schemes[name], name).to.be.an('object');
    }
    expect(schemes.apiToken).to.include({ type: 'http', scheme: 'bearer' });
    expect(schemes.oauth.type).to.equal('oauth2');
    expect(Object.keys(schemes.oauth.flows.authorizationCode.scopes)).to.deep.equal(['admin:read', 'admin:write']);
  });

  it('declares each path template parameter exactly once, as required, and no other path parameter', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const method of METHODS.filter((m) => item[m])) {
        const declared = (item[method].parameters as Json[]).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), `${method} ${path}`).to.deep.equal([...inPath].sort());
        for (const p of declared) expect(p.required).to.equal(true);
        for (const p of item[method].parameters as Json[]) {
          expect(['path', 'query']).to.include(p.in);
          expect(p.schema, `${method} ${path} ${p.name}`).to.be.an('object');
        }
      }
    }
  });

  it('gives every response a description or a reference, JSON content, and the shared error shape for 4xx', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const method of METHODS.filter((m) => item[m])) {
        for (const [status, response] of Object.entries(item[method].responses as Json)) {
          expect(status, `${method} ${path}`).to.match(/^[1-5]\d\d$/);
          const actual = (response.$ref ? resolve(doc, response.$ref) : response) as Json;
          expect(actual.description, `${method} ${path} ${status}`).to.be.a('string');
          if (Number(status) >= 400) expect(actual.content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Error' });
          else if (status !== '204') expect(actual.content['application/json'].schema).to.be.an('object');
        }
        const body = item[method].requestBody;
        if (body) expect(body.content['application/json'].schema.type, `${method} ${path}`).to.equal('object');
      }
    }
  });

  it('resolves every $ref inside the document', () => {
    const all = refs(doc);
    expect(all.length).to.be.greaterThan(20);
    for (const { ref, at } of all) expect(resolve(doc, ref), `${ref} at ${at}`).to.be.an('object');
  });

  it('describes request bodies with the validation schema: the policy body refuses unknown settings', () => {
    const patch = doc.paths['/tenants/{tenant}/policy'].patch.requestBody.content['application/json'].schema;
    expect(patch.additionalProperties).to.equal(false);
    expect(patch.properties.lockout.properties.maxFailures).to.include({ type: 'integer', minimum: 1, maximum: 100 });
    const invite = doc.paths['/tenants/{tenant}/users'].post.requestBody.content['application/json'].schema;
    expect(invite.required).to.deep.equal(['email']);
    expect(invite.properties.firstName.maxLength).to.equal(100);
  });

  it('is matched by docs/admin-api.md, which lists every route', () => {
    const docs = readFileSync(new URL('../../../docs/admin-api.md', import.meta.url), 'utf8');
    for (const route of ADMIN_ROUTES) expect(docs, route.operationId).to.include(`\`${route.method.toUpperCase()} ${route.path}\``);
  });

  describe('served', () => {
    let w: AdminWorld;
    before(async () => {
      w = await startAdminWorld();
    });
    after(() => stopAdminWorld(w));

    it('at /admin/v1/openapi.json without a token, for this issuer', async () => {
      const res = await w.api('GET', '/openapi.json', { token: null });
      expect(res.status).to.equal(200);
      const url = w.f.server.url;
      expect(res.json).to.deep.equal(JSON.parse(JSON.stringify(buildOpenApiDocument(ADMIN_ROUTES, { issuer: url, audience: adminAudience(url) }))));
      expect(res.json.info.description).to.include(`${url}/admin/v1`);
    });

    it('answers an unknown route with 404 JSON and a known path with the wrong method with 405 and Allow', async () => {
      expectError(await w.api('GET', '/no-such-thing'), 404, 'route.not_found');
      expectError(await w.api('GET', '/no-such-thing', { token: null }), 404, 'route.not_found');
      const wrong = await w.api('PUT', `/tenants/${w.a.tenant}/policy`, { body: {} });
      expectError(wrong, 405, 'route.method_not_allowed');
      expect(wrong.headers.get('allow')).to.equal('GET, PATCH');
      const outside = await w.api('GET', '/../../admin/v2/users', { token: null });
      expect(outside.status).to.equal(404);
      expect(outside.json.error.code).to.be.a('string');
    });
  });
});
