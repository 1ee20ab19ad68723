import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { freePort, spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, setPolicy, withServices } from '../../support/accounts.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { discover, exchange, signIn, type RegisteredTestClient } from '../../support/relying-party.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

/** runs `node src/main.ts` to its end (or kills it after timeoutMs) and collects its output */
function runMain(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('server process start-up and shutdown', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-startup-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start in production without COOKIE_KEYS and KEY_ENCRYPTION_KEY, naming both', async () => {
    const result = await runMain({ NODE_ENV: 'production', DATA_DIR: join(dataDir, 'prod'), PORT: String(await freePort()) });
    expect(result.code, result.stderr).to.be.a('number').and.not.equal(0);
    expect(result.stderr).to.include('COOKIE_KEYS').and.include('KEY_ENCRYPTION_KEY');
    expect(result.stderr).to.not.match(/^\s+at /m);
    expect(result.stdout).to.not.include('latchkey listening');
  });

  it('refuses PORT=notaport with exactly one line naming PORT', async () => {
    const result = await runMain({ PORT: 'notaport', DATA_DIR: join(dataDir, 'port') });
    expect(result.code).to.be.a('number').and.not.equal(0);
    expect(lines(result.stderr), result.stderr).to.have.length(1);
    expect(lines(result.stderr)[0]).to.match(/^latchkey: PORT: /);
    expect(result.stdout).to.equal('');
  });

  describe('a normally started server on the embedded default', () => {
    let server: SpawnedServer;
    let client: RegisteredTestClient;
    const user = { email: 'alice@example.com', password: 'correct horse battery staple 42' };
    before(async () => {
      // defaults everywhere: NODE_ENV, secrets, argon2 cost, demo data, log level
      server = await spawnServer({ DATA_DIR: join(dataDir, 'normal') });
      const web = await withServices(server.env, async (c) => {
        await createTenant(c, { name: 'acme' });
        await createUser(c, { tenant: 'acme', ...user });
        // 20 sign-ins of this one user will be in flight at once below; sign-ins in flight count
        // toward the lockout window until they succeed, so the limit is raised above 20
        await setPolicy(c, { lockout: { maxFailures: 25 } }, 'acme');
        return createClient(c, {
          tenant: 'acme',
          name: 'Web',
          redirectUris: ['http://127.0.0.1:9/callback'],
          postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
          grants: ['authorization_code', 'refresh_token'],
        });
      });
      client = { clientId: web.clientId, clientSecret: String(web.clientSecret), redirectUri: 'http://127.0.0.1:9/callback' };
    });
    after(async () => {
      if (server && server.process.exitCode === null && server.process.signalCode === null) await server.stop('SIGKILL');
    });

    it('runs sign-in, token, userinfo, introspection, revocation, refresh and RP-initiated logout', async () => {
      const config = await discover(server.url, client);
      const result = await signIn(config, client, user);
      const tokens = await exchange(config, result);
      const sub = tokens.claims()!.sub;
      expect((await oidc.fetchUserInfo(config, tokens.access_token, sub)).email).to.equal(user.email);
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).to.equal(true);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.access_token).to.be.a('string').and.not.equal(tokens.access_token);
      expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
      await oidc.tokenRevocation(config, refreshed.access_token);
      expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).to.equal(false);

      const logoutUrl = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
        state: 'bye-1',
      });
      const confirm = await result.browser.navigate(logoutUrl.toString());
      expect(confirm.res.status, confirm.html.slice(0, 300)).to.equal(200);
      const form = findForm(confirm.html, '/session/end/confirm');
      const done = await result.browser.navigate(form.action, { form: { ...form.fields, logout: 'yes' } });
      expect(done.url).to.equal('http://127.0.0.1:9/bye?state=bye-1');

      // the session is gone: a new authorization request asks for the password again
      const again = await result.browser.navigate(
        oidc
          .buildAuthorizationUrl(config, {
            redirect_uri: client.redirectUri,
            scope: 'openid',
            code_challenge_method: 'S256',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          })
          .toString(),
      );
      findForm(again.html, '/login');
    });

    it('answers all 20 sign-in POSTs in flight at SIGTERM completely, then exits 0', async function () {
      this.timeout(60_000);
      const config = await discover(server.url, client);
      const pending = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const browser = new Browser(server.url);
          const page = await browser.navigate(
            oidc
              .buildAuthorizationUrl(config, {
                redirect_uri: client.redirectUri,
                scope: 'openid',
                code_challenge_method: 'S256',
                code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
              })
              .toString(),
          );
          return { browser, form: findForm(page.html, '/login') };
        }),
      );

      let signalledAt = Infinity;
      const sent: Promise<void>[] = [];
      const responses = pending.map(
        ({ browser, form }) =>
          new Promise<{ status: number; body: string; at: number }>((resolve, reject) => {
            const body = new URLSearchParams({ ...form.fields, email: user.email, password: user.password }).toString();
            const req = request(
              new URL(form.action, server.url),
              {
                method: 'POST',
                agent: false,
                headers: {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': Buffer.byteLength(body),
                  accept: 'text/html',
                  cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
                },
              },
              (res) => {
                let text = '';
                res.setEncoding('utf8').on('data', (d: string) => {
                  text += d;
                });
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: Date.now() })).on('error', reject);
              },
            );
            req.on('error', reject);
            sent.push(new Promise((done) => req.end(body, () => done())));
          }),
      );
      await Promise.all(sent);
      await new Promise((r) => setTimeout(r, 50)); // let the server accept and start reading every request
      const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
      signalledAt = Date.now();
      server.process.kill('SIGTERM');

      const outcomes = await Promise.allSettled(responses);
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason));
      expect(failed, 'requests cut off').to.deep.equal([]);
      const answered = outcomes.map((o) => (o as PromiseFulfilledResult<{ status: number; body: string; at: number }>).value);
      for (const a of answered) {
        expect(a.status, a.body.slice(0, 300)).to.equal(303);
        expect(a.body).to.match(/^Redirecting to http:\/\/127\.0\.0\.1:\d+\/auth\/[\w-]+\.$/);
      }
      expect(answered.filter((a) => a.at >= signalledAt).length, 'responses finished after SIGTERM').to.be.greaterThan(0);
      expect(await exited).to.equal(0);
      // the server's own access log: sign-ins it was still working on when it began to shut down
      const log = server.output().slice(server.output().indexOf('"msg":"shutting down"'));
      expect(log.match(/"method":"POST","path":"\/interaction\/[\w-]+\/login","status":303/g) ?? [], 'drained after SIGTERM').to.not.be.empty;
    });

    it('printed no oidc-provider WARNING during its whole life', () => {
      expect(server.process.exitCode, 'the server has stopped').to.not.equal(null);
      const output = server.output();
      expect(output).to.include('latchkey listening');
      const warnings = lines(output).filter((l) => l.includes('oidc-provider WARNING'));
      expect(warnings).to.deep.equal([]);
      const notices = lines(output).filter((l) => l.includes('oidc-provider NOTICE'));
      if (notices.length) console.log(`      oidc-provider NOTICE lines:\n${notices.map((n) => `        ${n}`).join('\n')}`);
      expect(output).to.not.match(/^\s+at /m);
    });
  });
});
