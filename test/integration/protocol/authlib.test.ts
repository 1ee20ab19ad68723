import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover, signIn } from '../../support/relying-party.ts';
import { createClient } from '../../support/accounts.ts';
import { Browser } from '../../support/browser.ts';
import { post } from '../../support/two-factor.ts';
import type { Page } from '../../support/sign-in-pages.ts';
import { registerDeviceClient } from '../../support/device-flow.ts';

/** Debian's Python, where python3-authlib is installed (scripts/ensure-python-client.sh) */
const PYTHON = '/usr/bin/python3';
const CLIENT_PY = fileURLToPath(new URL('../../support/authlib/client.py', import.meta.url));
const REPORTS = 'https://reports.example.test';
const ORDERS = 'https://orders.example.test';
const INVENTORY = 'https://inventory.example.test';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const REDIRECT = 'http://127.0.0.1:9/authlib-store-cb';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

type Answer = Record<string, any>;

/**
 * Runs test/support/authlib/client.py: its one JSON line on stdout. onStderrLine sees each JSON
 * line it writes to stderr while it runs (the device poll reports every refused poll there).
 */
function authlib(args: string[], stdin = '', onStderrLine: (line: Answer) => void = () => {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT_PY, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      pending += chunk.toString();
      for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
        const line = pending.slice(0, at);
        pending = pending.slice(at + 1);
        if (line.startsWith('{')) onStderrLine(JSON.parse(line) as Answer);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`client.py ${args[0]} exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as Answer);
    });
    child.stdin.end(stdin);
  });
}

const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Answer;

/**
 * Authlib (Python, Debian's python3-authlib), a client library of another author and language
 * than openid-client, against Latchkey: client authentication by key (private_key_jwt and
 * client_secret_jwt, RFC 7523), the device authorization grant (RFC 8628) and token exchange
 * (RFC 8693), which no second JavaScript client library implements.
 */
describe('Authlib (Python) as an independent client (postgres)', function () {
  this.timeout(60_000);
  let f: Fixture;
  let issuer: string;
  let userId: string;
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let keyService: string;
  let hmacService: { clientId: string; clientSecret: string };
  let cli: string;
  let storefront: { clientId: string; clientSecret: string; redirectUri: string };
  let orders: { clientId: string; clientSecret: string };

  before(async () => {
    f = await createFixture('postgres');
    issuer = f.server.url;
    const tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
    userId = (await f.server.container.users.findByEmail(tenantId, f.user.email))!.id;
    const reports = [{ resource: REPORTS, scope: 'reports:read' }];
    keyService = (
      await createClient(f, {
        name: 'Reports service',
        grants: ['client_credentials'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(keys.publicKey.export({ format: 'jwk' }) as { kty: 'EC' }), kid: 'authlib-1', use: 'sig' }] },
        resources: reports,
      })
    ).clientId;
    const hmac = await createClient(f, {
      name: 'HMAC service',
      grants: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_jwt',
      resources: reports,
    });
    hmacService = { clientId: hmac.clientId, clientSecret: String(hmac.clientSecret) };
    cli = (await registerDeviceClient(f, 'Python CLI')).clientId;
    const store = await createClient(f, {
      name: 'Storefront',
      redirectUris: [REDIRECT],
      grants: ['authorization_code'],
      resources: [{ resource: ORDERS, scope: 'orders:read inventory:read' }],
    });
    storefront = { clientId: store.clientId, clientSecret: String(store.clientSecret), redirectUri: REDIRECT };
    const exchanger = await createClient(f, {
      name: 'Orders service',
      grants: [TOKEN_EXCHANGE],
      resources: [{ resource: INVENTORY, scope: 'inventory:read' }],
    });
    orders = { clientId: exchanger.clientId, clientSecret: String(exchanger.clientSecret) };
  });
  after(() => disposeFixture(f));

  const clientCredentials = (clientId: string, auth: string, secret: string) =>
    authlib(['token', '--issuer', issuer, '--client-id', clientId, '--auth', auth, '--resource', REPORTS, '--scope', 'reports:read'], secret);

  describe('client authentication by key (RFC 7523)', () => {
    it('private_key_jwt: Authlib signs the assertion with the registered key (PEM) and gets a token', async () => {
      const answer = await clientCredentials(keyService, 'private_key_jwt', privatePem);
      expect(answer, JSON.stringify(answer)).to.include({ token_type: 'Bearer', scope: 'reports:read' });
      expect(payloadOf(answer.access_token)).to.include({ client_id: keyService, aud: REPORTS });
    });

    it('private_key_jwt with a key that is not registered (a JWK): 401 invalid_client', async () => {
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      expect(await clientCredentials(keyService, 'private_key_jwt', JSON.stringify(stranger))).to.deep.equal({
        status: 401,
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    });

    it('client_secret_jwt: the right secret gets a token, a wrong one 401 invalid_client', async () => {
      const answer = await clientCredentials(hmacService.clientId, 'client_secret_jwt', hmacService.clientSecret);
      expect(answer, JSON.stringify(answer)).to.include({ token_type: 'Bearer', scope: 'reports:read' });
      expect(await clientCredentials(hmacService.clientId, 'client_secret_jwt', `${hmacService.clientSecret}x`)).to.deep.equal({
        status: 401,
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    });
  });

  it('device authorization grant (RFC 8628): Authlib starts and polls, the user approves the code in the hosted pages', async () => {
    const started = await authlib(['device-start', '--issuer', issuer, '--client-id', cli, '--scope', 'openid email']);
    expect(started).to.include({ status: 200, verification_uri: `${issuer}/device`, expires_in: 600 });
    // polled at the interval the server asks for (5 s when it names none, RFC 8628 §3.2)
    expect(started.user_code).to.match(USER_CODE);

    const polls: string[] = [];
    let firstPoll: () => void = () => {};
    const polledOnce = new Promise<void>((resolve) => {
      firstPoll = resolve;
    });
    const polled = authlib(
      ['device-poll', '--issuer', issuer, '--client-id', cli, '--device-code', started.device_code, '--interval', String(started.interval ?? 5)],
      '',
      (line) => {
        polls.push(line.poll);
        firstPoll();
      },
    );
    await polledOnce;

    const b = new Browser(issuer);
    const open = async (url: string): Promise<Page> => {
      const { res, url: at, html } = await b.navigate(url);
      return { status: res.status, url: at, html };
    };
    const confirmation = await post(b, await open('/device'), '/device', { user_code: started.user_code });
    expect(confirmation.status).to.equal(200);
    const signInPage = await post(b, confirmation, '/device');
    expect(signInPage.status).to.equal(200);
    const done = await post(b, signInPage, '/login', f.user);
    expect(done.status).to.equal(200);
    expect(done.url).to.match(new RegExp(`^${issuer}/device/[^/?]+$`));

    const tokens = await polled;
    expect(tokens, JSON.stringify(tokens)).to.include({ token_type: 'Bearer', scope: 'openid email' });
    expect(payloadOf(tokens.id_token)).to.include({ sub: userId, aud: cli });
    // the first poll came before the approval; Authlib kept to the interval, never told to slow down
    expect(polls[0]).to.equal('authorization_pending');
    expect(polls).to.not.include('slow_down');
  });

  describe('token exchange (RFC 8693)', () => {
    let subject: string;
    let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
    before(async () => {
      const config = await discover(issuer, storefront);
      jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const result = await signIn(config, storefront, f.user, { scope: 'openid orders:read inventory:read', extra: { resource: ORDERS } });
      const tokens = await oidc.authorizationCodeGrant(
        config,
        result.callbackUrl,
        { pkceCodeVerifier: result.codeVerifier, expectedState: result.state, expectedNonce: result.nonce },
        { resource: ORDERS },
      );
      subject = tokens.access_token;
    });

    const exchange = (resource: string) =>
      authlib(['token-exchange', '--issuer', issuer, '--client-id', orders.clientId, '--subject-token', subject, '--resource', resource], orders.clientSecret);

    it("Authlib exchanges a user's access token: the new one names the user as sub and the orders service as actor", async () => {
      const answer = await exchange(INVENTORY);
      expect(answer, JSON.stringify(answer)).to.include({ issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', scope: 'inventory:read' });
      const { payload } = await jose.jwtVerify(answer.access_token, jwks, { issuer, audience: INVENTORY, typ: 'at+jwt' });
      expect(payload).to.include({ sub: userId, client_id: orders.clientId, scope: 'inventory:read' });
      expect(payload.act).to.deep.equal({ sub: orders.clientId });
    });

    it('an API not registered for the service: 400 invalid_target', async () => {
      expect(await exchange('https://payroll.example.test')).to.deep.equal({
        status: 400,
        error: 'invalid_target',
        error_description: 'resource is not registered for this client',
      });
    });
  });
});
