import { expect } from 'chai';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { BACKENDS } from '../../support/backends.ts';
import { createFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { discover, exchange, signIn, type RegisteredTestClient } from '../../support/relying-party.ts';
import { createClient, createTenant, createUser } from '../../support/accounts.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
/** the API the storefront calls with the user's token */
const ORDERS = 'https://orders.example.test';
/** the API the orders service calls on the user's behalf */
const INVENTORY = 'https://inventory.example.test';
/** an API whose scopes are the profile ones an opaque (userinfo) token carries */
const DIRECTORY = 'https://directory.example.test';
/** the API the inventory service calls in turn */
const WAREHOUSE = 'https://warehouse.example.test';
const REDIRECT = 'http://127.0.0.1:9/store-cb';

type Service = { clientId: string; clientSecret: string };
type TokenAnswer = { status: number; json: Record<string, any> };

/**
 * OAuth 2.0 Token Exchange (RFC 8693): the orders service, holding the access token a user's
 * storefront sent it, obtains a token for the inventory API on that user's behalf. Both with
 * openid-client (genericGrantRequest) and with a plain form-encoded fetch.
 */
for (const kind of BACKENDS) {
  describe(`token exchange (${kind})`, () => {
    const clock = movableClock();
    let f: Fixture;
    let tenantId: string;
    let userId: string;
    let storefront: RegisteredTestClient & { clientSecret: string };
    let store: oidc.Configuration;
    let orders: Service;
    let ordersConfig: oidc.Configuration;
    let jwks: ReturnType<typeof jose.createRemoteJWKSet>;

    before(async () => {
      f = await createFixture(kind, { clock });
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
      userId = (await f.server.container.users.findByEmail(tenantId, f.user.email))!.id;
      const created = await createClient(f, {
        name: 'Storefront',
        redirectUris: [REDIRECT],
        grants: ['authorization_code'],
        resources: [{ resource: ORDERS, scope: 'orders:read inventory:read' }],
      });
      storefront = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: REDIRECT };
      store = await discover(f.server.url, storefront);
      orders = await service(f, 'Orders service', [
        { resource: INVENTORY, scope: 'inventory:read inventory:write' },
        { resource: DIRECTORY, scope: 'email profile' },
      ]);
      ordersConfig = await discover(f.server.url, { ...orders, redirectUri: 'unused' });
      jwks = jose.createRemoteJWKSet(new URL(store.serverMetadata().jwks_uri!));
    });
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    /** the storefront signs the user in and gets a JWT access token for the orders API */
    const ordersToken = async (credentials = f.user, config = store, client: RegisteredTestClient = storefront) => {
      const result = await signIn(config, client, credentials, { scope: 'openid orders:read inventory:read', extra: { resource: ORDERS } });
      const tokens = await oidc.authorizationCodeGrant(
        config,
        result.callbackUrl,
        { pkceCodeVerifier: result.codeVerifier, expectedState: result.state, expectedNonce: result.nonce },
        { resource: ORDERS },
      );
      return tokens.access_token;
    };

    /** an opaque access token (no resource: the userinfo endpoint's) with the profile scopes */
    const opaqueToken = async () => (await exchange(store, await signIn(store, storefront, f.user, { scope: 'openid email profile' }))).access_token;

    /** a token request as any HTTP client makes it: form-encoded, the client authenticated with HTTP Basic */
    const tokenRequest = async (client: { clientId: string; clientSecret?: string }, form: Record<string, string>): Promise<TokenAnswer> => {
      const body = new URLSearchParams(form);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (client.clientSecret) {
        headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
      } else {
        body.set('client_id', client.clientId);
      }
      const res = await fetch(store.serverMetadata().token_endpoint!, { method: 'POST', headers, body });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };

    const expectRefusal = (answer: TokenAnswer, error: string, description: string, extra: Record<string, string> = {}) => {
      expect(answer.status, JSON.stringify(answer.json)).to.equal(400);
      expect(answer.json).to.deep.equal({ error, error_description: description, ...extra });
    };

    const verify = async (token: string, audience: string) =>
      (await jose.jwtVerify(token, jwks, { issuer: f.server.url, audience, typ: 'at+jwt' })).payload as jose.JWTPayload & Record<string, any>;

    it('issues a token for the inventory API that names the user as sub and the orders service as actor (openid-client), and audits it', async () => {
      const subject = await ordersToken();
      const subjectClaims = await verify(subject, ORDERS);
      expect(subjectClaims).to.include({ sub: userId, client_id: storefront.clientId, scope: 'orders:read inventory:read' });

      const issued = await oidc.genericGrantRequest(ordersConfig, TOKEN_EXCHANGE, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        resource: INVENTORY,
      });
      expect(issued.issued_token_type).to.equal(ACCESS_TOKEN);
      expect(issued.token_type).to.equal('bearer');
      expect(issued.scope).to.equal('inventory:read');
      expect(issued.refresh_token).to.equal(undefined);
      expect(issued.expires_in).to.be.within(1, 900);

      const claims = await verify(issued.access_token, INVENTORY);
      expect(claims.sub).to.equal(userId);
      expect(claims.act).to.deep.equal({ sub: orders.clientId });
      expect(claims.aud).to.equal(INVENTORY);
      expect(claims.scope).to.equal('inventory:read');
      expect(claims.client_id).to.equal(orders.clientId);
      expect(claims.exp).to.be.at.most(subjectClaims.exp!);

      const { events } = await f.server.container.audit.list({ tenantId, action: 'token.exchanged', limit: 50 });
      const event = events.find((e) => e.details?.tokenId === claims.jti);
      expect(event).to.include({ action: 'token.exchanged', tenantId, userId, actor: `client:${orders.clientId}`, ip: '127.0.0.1' });
      expect(event!.details).to.deep.equal({
        clientId: orders.clientId,
        subjectClientId: storefront.clientId,
        resource: INVENTORY,
        scope: 'inventory:read',
        tokenId: claims.jti,
      });
    });

    it('exchanges an opaque access token through a plain form-encoded request, with audience and an explicit scope', async () => {
      const subject = await opaqueToken();
      expect(subject.split('.')).to.have.length(1);
      const answer = await tokenRequest(orders, {
        grant_type: TOKEN_EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        requested_token_type: ACCESS_TOKEN,
        audience: DIRECTORY,
        scope: 'email',
      });
      expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
      expect(answer.json).to.include({ issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', scope: 'email' });
      const claims = await verify(answer.json.access_token, DIRECTORY);
      expect(claims).to.include({ sub: userId, aud: DIRECTORY, scope: 'email', client_id: orders.clientId });
      expect(claims.act).to.deep.equal({ sub: orders.clientId });
    });

    it('a token obtained by exchange can be exchanged again: the actors nest (RFC 8693 §4.1)', async () => {
      const inventory = await service(f, 'Inventory service', [{ resource: WAREHOUSE, scope: 'inventory:read' }]);
      const first = await tokenRequest(orders, {
        grant_type: TOKEN_EXCHANGE,
        subject_token: await ordersToken(),
        subject_token_type: ACCESS_TOKEN,
        resource: INVENTORY,
      });
      expect(first.status, JSON.stringify(first.json)).to.equal(200);
      const second = await tokenRequest(inventory, {
        grant_type: TOKEN_EXCHANGE,
        subject_token: first.json.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: WAREHOUSE,
      });
      expect(second.status, JSON.stringify(second.json)).to.equal(200);
      const claims = await verify(second.json.access_token, WAREHOUSE);
      expect(claims).to.include({ sub: userId, scope: 'inventory:read', client_id: inventory.clientId });
      expect(claims.act).to.deep.equal({ sub: inventory.clientId, act: { sub: orders.clientId } });
    });

    it('the exchanged token never outlives the subject token', async () => {
      const subject = await ordersToken();
      const { exp } = await verify(subject, ORDERS);
      // the server's clock stands 120 s before the subject token expires
      clock.travel(exp! * 1000 - 120_000 - Date.now());
      const answer = await tokenRequest(orders, { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: INVENTORY });
      expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
      expect(answer.json.expires_in).to.be.within(115, 120);
    });

    it('refuses a client not registered for the grant (unauthorized_client), also through openid-client', async () => {
      const subject = await ordersToken();
      expectRefusal(
        await tokenRequest(f.machine, { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }),
        'unauthorized_client',
        'the client is not registered for the token-exchange grant',
      );
      const machine = await discover(f.server.url, { ...f.machine, redirectUri: 'unused' });
      const err = (await oidc
        .genericGrantRequest(machine, TOKEN_EXCHANGE, { subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: INVENTORY })
        .catch((e: unknown) => e)) as oidc.ResponseBodyError;
      expect(err).to.be.instanceOf(oidc.ResponseBodyError);
      expect(err.error).to.equal('unauthorized_client');
      expect(err.status).to.equal(400);
    });

    it('refuses a public client registered for the grant (unauthorized_client)', async () => {
      const open = await createClient(f, {
        name: 'Public exchanger',
        public: true,
        grants: [TOKEN_EXCHANGE],
        resources: [{ resource: INVENTORY, scope: 'inventory:read' }],
      });
      expectRefusal(
        await tokenRequest(open, { grant_type: TOKEN_EXCHANGE, subject_token: await ordersToken(), subject_token_type: ACCESS_TOKEN, resource: INVENTORY }),
        'unauthorized_client',
        'a public client cannot exchange tokens',
      );
    });

    it('refuses an unknown, missing or doubled target (invalid_target)', async () => {
      const subject = await ordersToken();
      const base = { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN };
      expectRefusal(
        await tokenRequest(orders, { ...base, resource: 'https://payroll.example.test' }),
        'invalid_target',
        'resource is not registered for this client',
      );
      // the storefront's API is registered, but not for the orders service
      expectRefusal(await tokenRequest(orders, { ...base, audience: ORDERS }), 'invalid_target', 'resource is not registered for this client');
      expectRefusal(await tokenRequest(orders, base), 'invalid_target', 'resource or audience is required: the API the token is for');
      expectRefusal(
        await tokenRequest(orders, { ...base, resource: INVENTORY, audience: DIRECTORY }),
        'invalid_target',
        'only one resource or audience may be requested',
      );
      expectRefusal(
        await tokenRequest(orders, { ...base, resource: 'inventory' }),
        'invalid_target',
        'resource indicator must be an absolute URI without a fragment',
      );
      const err = (await oidc
        .genericGrantRequest(ordersConfig, TOKEN_EXCHANGE, {
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          resource: 'https://payroll.example.test',
        })
        .catch((e: unknown) => e)) as oidc.ResponseBodyError;
      expect(err.error).to.equal('invalid_target');
    });

    it('refuses a missing or malformed subject_token and unsupported token types (invalid_request)', async () => {
      const target = { grant_type: TOKEN_EXCHANGE, resource: INVENTORY };
      expectRefusal(
        await tokenRequest(orders, { ...target, subject_token_type: ACCESS_TOKEN }),
        'invalid_request',
        "missing required parameter 'subject_token'",
      );
      const notAToken = 'subject_token is not an access token issued by this server';
      for (const value of ['not a token!', 'a.b', 'eyJ.eyJ.sig', 'x'.repeat(9000)]) {
        expectRefusal(await tokenRequest(orders, { ...target, subject_token: value, subject_token_type: ACCESS_TOKEN }), 'invalid_request', notAToken);
      }
      const subject = await ordersToken();
      expectRefusal(await tokenRequest(orders, { ...target, subject_token: subject }), 'invalid_request', "missing required parameter 'subject_token_type'");
      expectRefusal(
        await tokenRequest(orders, { ...target, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
        'invalid_request',
        `subject_token_type must be ${ACCESS_TOKEN}`,
      );
      expectRefusal(
        await tokenRequest(orders, {
          ...target,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        }),
        'invalid_request',
        `requested_token_type must be ${ACCESS_TOKEN}`,
      );
      expectRefusal(
        await tokenRequest(orders, {
          ...target,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          actor_token: subject,
          actor_token_type: ACCESS_TOKEN,
        }),
        'invalid_request',
        'actor_token is not supported: the authenticated client is the actor',
      );
      const err = (await oidc
        .genericGrantRequest(ordersConfig, TOKEN_EXCHANGE, { subject_token: 'not a token!', subject_token_type: ACCESS_TOKEN, resource: INVENTORY })
        .catch((e: unknown) => e)) as oidc.ResponseBodyError;
      expect(err.error).to.equal('invalid_request');
    });

    it('refuses expired, revoked, forged and client-credentials subject tokens (invalid_grant)', async () => {
      const base = { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, resource: INVENTORY };
      const jwt = await ordersToken();
      const opaque = await opaqueToken();
      clock.travel(2 * 3600_000);
      expectRefusal(await tokenRequest(orders, { ...base, subject_token: jwt }), 'invalid_grant', 'subject_token has expired');
      expectRefusal(
        await tokenRequest(orders, { ...base, resource: DIRECTORY, subject_token: opaque }),
        'invalid_grant',
        'subject_token is unknown, expired or revoked',
      );
      clock.travel(0);

      const revoked = await opaqueToken();
      const before = await tokenRequest(orders, { ...base, resource: DIRECTORY, subject_token: revoked });
      expect(before.status, JSON.stringify(before.json)).to.equal(200);
      await oidc.tokenRevocation(store, revoked);
      expectRefusal(
        await tokenRequest(orders, { ...base, resource: DIRECTORY, subject_token: revoked }),
        'invalid_grant',
        'subject_token is unknown, expired or revoked',
      );

      const [header, payload] = jwt.split('.');
      const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'inventory:write' })).toString(
        'base64url',
      );
      expectRefusal(
        await tokenRequest(orders, { ...base, subject_token: `${header}.${widened}.${'A'.repeat(86)}` }),
        'invalid_grant',
        'subject_token is not a valid access token of this server',
      );

      const machine = await discover(f.server.url, { ...f.machine, redirectUri: 'unused' });
      const cc = await oidc.clientCredentialsGrant(machine, { resource: 'https://api.example.test', scope: 'reports:read' });
      expectRefusal(await tokenRequest(orders, { ...base, subject_token: cc.access_token }), 'invalid_grant', 'subject_token speaks for no user');
      const ccOpaque = await oidc.clientCredentialsGrant(machine);
      expectRefusal(
        await tokenRequest(orders, { ...base, subject_token: ccOpaque.access_token }),
        'invalid_grant',
        'subject_token is unknown, expired or revoked',
      );
    });

    it("refuses a deactivated user's token (invalid_grant)", async () => {
      const carol = { email: 'carol@example.com', password: 'another fine passphrase 77' };
      const { id } = await createUser(f, { email: carol.email, password: carol.password });
      const subject = await ordersToken(carol);
      await f.server.container.lifecycle.deactivate({ userId: id, actor: 'cli', reason: 'left' });
      expectRefusal(
        await tokenRequest(orders, { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }),
        'invalid_grant',
        'the user of the subject_token is not active',
      );
    });

    it('refuses a scope wider than the subject token or the registration (invalid_scope)', async () => {
      const subject = await ordersToken();
      const base = { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN };
      // registered for the orders service, but the user's token does not carry it
      const wider = await tokenRequest(orders, { ...base, resource: INVENTORY, scope: 'inventory:read inventory:write' });
      expectRefusal(wider, 'invalid_scope', 'requested scope is wider than the subject_token or the client allows for this resource', {
        scope: 'inventory:write',
      });
      // the user's token carries nothing the directory API defines
      const none = await tokenRequest(orders, { ...base, resource: DIRECTORY });
      expectRefusal(none, 'invalid_scope', 'the subject_token carries no scope the client may use at this resource');
    });

    it("refuses across tenants: another tenant's service cannot exchange this tenant's user token (invalid_grant)", async () => {
      const other = `t2-${kind}`;
      await createTenant(f, { name: other });
      const foreign = await service(f, 'Orders service', [{ resource: INVENTORY, scope: 'inventory:read' }], other);
      const subject = await ordersToken();
      expectRefusal(
        await tokenRequest(foreign, { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }),
        'invalid_grant',
        'subject_token was issued in another tenant',
      );

      // and the other way round: that tenant's user, through its own storefront, to this tenant's service
      const bob = { email: 'bob@example.com', password: 'yet another passphrase 99' };
      await createUser(f, { tenant: other, email: bob.email, password: bob.password });
      const theirs = await createClient(f, {
        tenant: other,
        name: 'Storefront',
        redirectUris: [REDIRECT],
        grants: ['authorization_code'],
        resources: [{ resource: ORDERS, scope: 'orders:read inventory:read' }],
      });
      const theirClient = { clientId: theirs.clientId, clientSecret: String(theirs.clientSecret), redirectUri: REDIRECT };
      const theirToken = await ordersToken(bob, await discover(f.server.url, theirClient), theirClient);
      expectRefusal(
        await tokenRequest(orders, { grant_type: TOKEN_EXCHANGE, subject_token: theirToken, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }),
        'invalid_grant',
        'subject_token was issued in another tenant',
      );
    });

    it('announces the grant type in discovery', () => {
      expect(store.serverMetadata().grant_types_supported).to.include(TOKEN_EXCHANGE);
    });
  });
}

/** a confidential service registered for token exchange, with the APIs it may call */
async function service(f: Fixture, name: string, resources: { resource: string; scope: string }[], tenant?: string): Promise<Service> {
  const created = await createClient(f, { name, grants: [TOKEN_EXCHANGE], resources, ...(tenant ? { tenant } : {}) });
  return { clientId: created.clientId, clientSecret: String(created.clientSecret) };
}
