import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { BACKENDS } from '../../support/backends.ts';
import { followAuthorization } from '../../support/front-channel.ts';
import { auditEvents, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from '../admin/support.ts';

const RESOURCE = 'https://reports.example.test';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const REDIRECT_URI = 'http://127.0.0.1:9/keys-callback';

type PrivateKey = Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey'];

interface KeyPair {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: jose.JWK;
}

async function keyPair(kid: string, alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, use: 'sig' } };
}

/**
 * Clients that authenticate with a key (RFC 7523): private_key_jwt with registered keys or a
 * jwks_uri, client_secret_jwt, rotation of the registered keys with an overlap, replayed and
 * expired assertions, request objects signed with the client's key (JAR, RFC 9101), and a client
 * that must use PAR. Driven with openid-client, and with assertions made by hand with jose and
 * sent with fetch (no other JavaScript client library at hand implements private_key_jwt or
 * client_secret_jwt: @badgateway/oauth2-client knows client_secret_basic and _post only).
 */
for (const kind of BACKENDS) {
  describe(`client authentication by key, signed and pushed requests (${kind})`, () => {
    let w: AdminWorld;
    let clients: string;
    let tokenEndpoint: string;
    let issuer: string;
    /** Latchkey's clock runs this far ahead: each client change is seen once the 5 s client cache has passed */
    let ahead = 0;
    const pastClientCache = () => {
      ahead += 6000;
      w.clock.travel(ahead);
    };

    before(async () => {
      w = await startAdminWorld(kind);
      clients = `/tenants/${w.a.tenant}/clients`;
      issuer = w.f.server.url;
      tokenEndpoint = `${issuer}/token`;
    });
    after(() => stopAdminWorld(w));

    const register = async (body: Record<string, unknown>) => {
      const res = await w.api('POST', clients, { body: { resources: [{ resource: RESOURCE, scope: 'reports:read' }], ...body } });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      return res.json as { client: Record<string, any> & { clientId: string }; clientSecret?: string };
    };
    const machineWithKeys = (keys: jose.JWK[], name = 'Reports service') =>
      register({ name, grants: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys } });

    /** a client assertion (RFC 7523 §3) */
    const assertion = (
      clientId: string,
      key: { privateKey: PrivateKey | Uint8Array; kid?: string },
      claims: { jti?: string; exp?: number; aud?: string; alg?: string } = {},
    ) =>
      new jose.SignJWT({})
        .setProtectedHeader({ alg: claims.alg ?? 'ES256', ...(key.kid ? { kid: key.kid } : {}) })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(claims.aud ?? issuer)
        .setJti(claims.jti ?? randomUUID())
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
        .sign(key.privateKey);

    /** a client_credentials request authenticated with this assertion, by fetch */
    const withAssertion = async (clientId: string, clientAssertion: string) => {
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: clientAssertion,
          resource: RESOURCE,
          scope: 'reports:read',
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const refusedClient = { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } };

    const privateKeyConfig = (clientId: string, key: KeyPair, extra: Partial<oidc.ClientMetadata> = {}) =>
      oidc.discovery(
        new URL(issuer),
        clientId,
        { token_endpoint_auth_method: 'private_key_jwt', ...extra },
        oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
        { execute: [oidc.allowInsecureRequests] },
      );
    const oauthError = (err: unknown) =>
      err instanceof oidc.WWWAuthenticateChallengeError ? err.cause[0]?.parameters.error : (err as oidc.ResponseBodyError).error;

    describe('private_key_jwt', () => {
      let a: KeyPair;
      let service: string;
      before(async () => {
        a = await keyPair('a-2025');
        service = (await machineWithKeys([a.publicJwk])).client.clientId;
      });

      it('registers the client with its public keys and no secret', async () => {
        const created = await machineWithKeys([a.publicJwk], 'Another service');
        expect(created).not.to.have.property('clientSecret');
        expect(created.client).to.deep.include({ public: false, applicationType: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: null });
        expect(created.client.jwks).to.deep.equal({ keys: [a.publicJwk] });
        expectError(await w.api('POST', `${clients}/${created.client.clientId}/rotate-secret`), 409, 'client.no_secret');
      });

      it('openid-client signs the assertion: a token', async () => {
        const config = await privateKeyConfig(service, a);
        const tokens = await oidc.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'reports:read' });
        expect(tokens.access_token).to.be.a('string');
        expect(tokens.scope).to.equal('reports:read');
      });

      it('openid-client with a key that is not registered: invalid_client', async () => {
        const config = await privateKeyConfig(service, await keyPair('a-2025'));
        expect(oauthError(await oidc.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'reports:read' }).catch((e: unknown) => e))).to.equal(
          'invalid_client',
        );
      });

      it('an assertion made with jose: accepted once; a replayed jti, a wrong key, an expired or misaddressed assertion get 401 invalid_client', async () => {
        const good = await assertion(service, a);
        const first = await withAssertion(service, good);
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        expect(first.body.token_type).to.equal('Bearer');
        expect(await withAssertion(service, good)).to.deep.equal(refusedClient);
        // the same jti in a new assertion is a replay too
        const jti = randomUUID();
        expect((await withAssertion(service, await assertion(service, a, { jti }))).status).to.equal(200);
        expect(await withAssertion(service, await assertion(service, a, { jti }))).to.deep.equal(refusedClient);
        const stranger = await keyPair('a-2025');
        expect(await withAssertion(service, await assertion(service, stranger))).to.deep.equal(refusedClient);
        expect(await withAssertion(service, await assertion(service, a, { exp: Math.floor(Date.now() / 1000) - 60 }))).to.deep.equal(refusedClient);
        expect(await withAssertion(service, await assertion(service, a, { aud: 'https://elsewhere.example.test' }))).to.deep.equal(refusedClient);
        expect(
          await withAssertion(service, await assertion(service, { privateKey: new TextEncoder().encode('x'.repeat(32)) }, { alg: 'HS256' })),
        ).to.deep.equal(refusedClient);
      });

      it('the same assertion sent twice at once gets exactly one token', async () => {
        const once = await assertion(service, a);
        const answers = await Promise.all([withAssertion(service, once), withAssertion(service, once), withAssertion(service, once)]);
        expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 401, 401]);
      });

      it('rotates keys without downtime: old and new verify during the switch, then only the new one', async () => {
        const { client } = await machineWithKeys([a.publicJwk], 'Rotating service');
        const b = await keyPair('b-2026', 'RS256');
        const path = `${clients}/${client.clientId}`;
        const overlap = await w.api('PATCH', path, { body: { jwks: { keys: [a.publicJwk, b.publicJwk] } } });
        expect(overlap.status, JSON.stringify(overlap.json)).to.equal(200);
        expect(overlap.json.jwks.keys.map((k: jose.JWK) => k.kid)).to.deep.equal(['a-2025', 'b-2026']);
        pastClientCache();
        expect((await withAssertion(client.clientId, await assertion(client.clientId, a))).status).to.equal(200);
        expect((await withAssertion(client.clientId, await assertion(client.clientId, b, { alg: 'RS256' }))).status).to.equal(200);
        const done = await w.api('PATCH', path, { body: { jwks: { keys: [b.publicJwk] } } });
        expect(done.status).to.equal(200);
        pastClientCache();
        expect((await withAssertion(client.clientId, await assertion(client.clientId, b, { alg: 'RS256' }))).status).to.equal(200);
        expect(await withAssertion(client.clientId, await assertion(client.clientId, a))).to.deep.equal(refusedClient);
        const config = await privateKeyConfig(client.clientId, b);
        expect((await oidc.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'reports:read' })).access_token).to.be.a('string');
        const events = (await auditEvents(w, 'client.updated')).filter((e) => e.details.clientId === client.clientId);
        expect(events.map((e) => e.details.after.jwks.keys.map((k: jose.JWK) => k.kid))).to.have.deep.members([['a-2025', 'b-2026'], ['b-2026']]);
      });

      it("reads the keys from the application's jwks_uri and keeps its copy while it is fresh", async () => {
        const c = await keyPair('c-1', 'EdDSA');
        let published: jose.JWK[] = [c.publicJwk];
        let fetches = 0;
        const jwksServer: Server = createServer((_req, res) => {
          fetches += 1;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ keys: published }));
        });
        await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
        try {
          const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
          const { client } = await register({ name: 'Keys at home', grants: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri });
          expect(client).to.deep.include({ jwksUri, jwks: null });
          expect((await withAssertion(client.clientId, await assertion(client.clientId, c, { alg: 'EdDSA' }))).status).to.equal(200);
          expect(fetches).to.equal(1);
          expect(await withAssertion(client.clientId, await assertion(client.clientId, a))).to.deep.equal(refusedClient);
          // the copy is fresh for 60 s: an unknown key is not worth fetching again
          expect(fetches).to.equal(1);
          published = [];
          // switching to registered keys drops the jwks_uri
          const switched = await w.api('PATCH', `${clients}/${client.clientId}`, { body: { jwks: { keys: [a.publicJwk] } } });
          expect(switched.json).to.deep.include({ jwksUri: null, jwks: { keys: [a.publicJwk] } });
          pastClientCache();
          expect((await withAssertion(client.clientId, await assertion(client.clientId, a))).status).to.equal(200);
        } finally {
          jwksServer.close();
        }
      });

      it('a jwks_uri that does not answer refuses the client (401 invalid_client), nothing worse', async () => {
        const gone: Server = createServer();
        await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
        const jwksUri = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/jwks.json`;
        await new Promise((resolve) => gone.close(resolve));
        const { client } = await register({ name: 'Keys nowhere', grants: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri });
        expect(await withAssertion(client.clientId, await assertion(client.clientId, a))).to.deep.equal(refusedClient);
      });
    });

    describe('client_secret_jwt', () => {
      let id: string;
      let secret: string;
      before(async () => {
        const created = await register({ name: 'HMAC service', grants: ['client_credentials'], tokenEndpointAuthMethod: 'client_secret_jwt' });
        id = created.client.clientId;
        secret = created.clientSecret!;
        expect(created.client.tokenEndpointAuthMethod).to.equal('client_secret_jwt');
      });
      const secretJwtConfig = (clientSecret: string) =>
        oidc.discovery(new URL(issuer), id, { token_endpoint_auth_method: 'client_secret_jwt' }, oidc.ClientSecretJwt(clientSecret), {
          execute: [oidc.allowInsecureRequests],
        });

      it('openid-client: the right secret gets a token, a wrong one invalid_client', async () => {
        expect((await oidc.clientCredentialsGrant(await secretJwtConfig(secret), { resource: RESOURCE, scope: 'reports:read' })).access_token).to.be.a(
          'string',
        );
        const wrong = await oidc
          .clientCredentialsGrant(await secretJwtConfig(`${secret}x`), { resource: RESOURCE, scope: 'reports:read' })
          .catch((e: unknown) => e);
        expect(oauthError(wrong)).to.equal('invalid_client');
      });

      it('jose: an HS256 assertion is accepted once; a wrong secret or the secret sent as such is refused', async () => {
        const key = { privateKey: new TextEncoder().encode(secret) };
        const good = await assertion(id, key, { alg: 'HS256' });
        expect((await withAssertion(id, good)).status).to.equal(200);
        expect(await withAssertion(id, good)).to.deep.equal(refusedClient);
        expect(await withAssertion(id, await assertion(id, { privateKey: new TextEncoder().encode(`${secret}x`) }, { alg: 'HS256' }))).to.deep.equal(
          refusedClient,
        );
        const basic = await fetch(tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: 'reports:read' }),
        });
        expect(basic.status).to.equal(401);
        expect(((await basic.json()) as { error: string }).error).to.equal('invalid_client');
      });
    });

    describe('signed request objects (JAR) and required PAR', () => {
      let a: KeyPair;
      let web: string;
      before(async () => {
        a = await keyPair('web-1');
        web = (
          await register({ name: 'Signed web app', redirectUris: [REDIRECT_URI], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [a.publicJwk] } })
        ).client.clientId;
      });

      const codeFlow = async (build: (params: Record<string, string>) => Promise<URL>) => {
        const codeVerifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const url = await build({
          redirect_uri: REDIRECT_URI,
          scope: 'openid email',
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
          state,
        });
        const page = await followAuthorization(issuer, url.toString(), w.f.user);
        return { page, codeVerifier, state };
      };

      it('discovery announces request objects and the signing algorithms', async () => {
        const meta = (await privateKeyConfig(web, a)).serverMetadata();
        expect(meta.request_parameter_supported).to.equal(true);
        expect(meta.request_object_signing_alg_values_supported).to.include.members(['ES256', 'RS256', 'EdDSA']);
        expect(meta.request_object_signing_alg_values_supported).not.to.include('none');
        expect(meta.token_endpoint_auth_methods_supported).to.include.members(['private_key_jwt', 'client_secret_jwt']);
      });

      it("a request object signed with the client's key is accepted; the code is redeemed with private_key_jwt", async () => {
        const config = await privateKeyConfig(web, a);
        const flow = await codeFlow((params) => oidc.buildAuthorizationUrlWithJAR(config, params, { key: a.privateKey, kid: a.kid }));
        expect(flow.page.url.startsWith(`${REDIRECT_URI}?`), flow.page.html.slice(0, 500)).to.equal(true);
        const tokens = await oidc.authorizationCodeGrant(config, new URL(flow.page.url), { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state });
        expect(tokens.claims()!.aud).to.equal(web);
      });

      it('a request object signed with another key, or not signed, is refused', async () => {
        const config = await privateKeyConfig(web, a);
        const other = await keyPair('web-1');
        const forged = await codeFlow((params) => oidc.buildAuthorizationUrlWithJAR(config, params, { key: other.privateKey, kid: other.kid }));
        const refused = new URL(forged.page.url);
        expect(refused.origin + refused.pathname).to.equal(REDIRECT_URI);
        expect(Object.fromEntries(refused.searchParams)).to.deep.equal({
          error: 'invalid_request_object',
          error_description: 'could not validate Request Object',
          iss: issuer,
          state: forged.state,
        });
        const unsigned = new jose.UnsecuredJWT({ client_id: web, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' })
          .setIssuer(web)
          .setAudience(issuer)
          .encode();
        const page = await followAuthorization(issuer, `${issuer}/auth?client_id=${web}&request=${unsigned}`, w.f.user);
        expect(page.url).to.equal(
          `${REDIRECT_URI}?${new URLSearchParams({ error: 'invalid_request_object', error_description: 'unsupported signed request alg', iss: issuer })}`,
        );
      });

      it('a client that requires PAR is refused a plain authorization request and served through PAR', async () => {
        const b = await keyPair('par-1');
        const created = await register({
          name: 'PAR only',
          redirectUris: [REDIRECT_URI],
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwks: { keys: [b.publicJwk] },
          requirePushedAuthorizationRequests: true,
        });
        expect(created.client.requirePushedAuthorizationRequests).to.equal(true);
        const config = await privateKeyConfig(created.client.clientId, b);
        const plain = await codeFlow(async (params) => oidc.buildAuthorizationUrl(config, params));
        const back = new URL(plain.page.url);
        expect(back.origin + back.pathname).to.equal(REDIRECT_URI);
        expect(back.searchParams.get('error')).to.equal('invalid_request');
        expect(back.searchParams.get('error_description')).to.equal('Pushed Authorization Request must be used');
        const pushed = await codeFlow((params) => oidc.buildAuthorizationUrlWithPAR(config, params));
        const tokens = await oidc.authorizationCodeGrant(config, new URL(pushed.page.url), {
          pkceCodeVerifier: pushed.codeVerifier,
          expectedState: pushed.state,
        });
        expect(tokens.access_token).to.be.a('string');
        // the requirement can be lifted
        const lifted = await w.api('PATCH', `${clients}/${created.client.clientId}`, { body: { requirePushedAuthorizationRequests: false } });
        expect(lifted.json.requirePushedAuthorizationRequests).to.equal(false);
        pastClientCache();
        const again = await codeFlow(async (params) => oidc.buildAuthorizationUrl(config, params));
        expect(new URL(again.page.url).searchParams.get('code')).to.be.a('string');
      });
    });

    describe('registration of keys', () => {
      it('refuses private keys, weak or unknown keys, and keys where none can be used', async () => {
        const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
        const privateJwk = await jose.exportJWK(privateKey);
        const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as jose.JWK;
        const good = (await keyPair('k1')).publicJwk;
        const requestInvalid: Array<[jose.JWK[], string]> = [
          [[privateJwk], 'must be a public key: "d" belongs to the private key, which never leaves the application'],
          [[{ kty: 'oct', k: 'c2VjcmV0' }], 'must be RSA, EC or OKP'],
          [[weak], 'RSA keys have at least 2048 bits'],
          [[{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }], 'is not a valid EC public key'],
          [[good, good], 'each kid may appear only once'],
        ];
        for (const [keys, message] of requestInvalid) {
          const res = await w.api('POST', clients, {
            body: { name: 'x', grants: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys } },
          });
          expectError(res, 400, 'request.invalid');
          expect(res.json.error.details.issues.map((i: { message: string }) => i.message)).to.include(message);
        }
        const clientInvalid: Array<[Record<string, unknown>, string]> = [
          [{ tokenEndpointAuthMethod: 'private_key_jwt' }, 'jwks private_key_jwt needs the public keys: jwks or jwksUri'],
          [
            { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [good] }, jwksUri: 'https://keys.example.test/jwks.json' },
            'jwksUri give jwks or jwksUri, not both',
          ],
          [
            { public: true, jwks: { keys: [good] }, redirectUris: [REDIRECT_URI], grants: ['authorization_code'] },
            'jwks a public client registers no keys: every copy of it would hold the private key',
          ],
          [{ public: true, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [good] } }, 'tokenEndpointAuthMethod must be none for a public client'],
          [
            { public: false, tokenEndpointAuthMethod: 'none', redirectUris: [REDIRECT_URI], grants: ['authorization_code'] },
            'tokenEndpointAuthMethod none is for public clients',
          ],
        ];
        for (const [body, message] of clientInvalid) {
          const res = await w.api('POST', clients, { body: { name: 'x', grants: ['client_credentials'], ...body } });
          expectError(res, 400, 'client.invalid');
          expect(res.json.error.message, JSON.stringify(body)).to.equal(message);
        }
        const created = await machineWithKeys([good], 'Keeps a key');
        const removed = await w.api('PATCH', `${clients}/${created.client.clientId}`, { body: { jwks: null } });
        expectError(removed, 400, 'client.invalid');
        expect(removed.json.error.message).to.equal('jwks private_key_jwt needs the public keys: jwks or jwksUri');
      });
    });
  });
}
