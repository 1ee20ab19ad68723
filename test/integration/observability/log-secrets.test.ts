import { expect } from 'chai';
import * as oidc from 'openid-client';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, migrate, setPolicy, withServices } from '../../support/accounts.ts';
import { discover } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';
import { finishFlow, post, recoveryCodesOn, startFlow, textOf, wrongTotpCode } from '../../support/two-factor.ts';
import { waitForMail, linkIn } from '../../support/outbox.ts';
import { Browser } from '../../support/browser.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';

describe('logs at debug level never carry a password, code, token or secret', function () {
  this.timeout(90_000);
  let backend: Backend;
  let server: SpawnedServer | undefined;

  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
  });
  after(async () => {
    await server?.stop();
    await backend?.dispose();
  });

  it('through sign-in, TOTP enrollment, token exchange, refresh, userinfo and a password reset', async () => {
    server = await spawnServer({ ...backend.env, LOG_LEVEL: 'debug' });
    const email = 'quinn@example.com';
    const password = 'a quiet and secret passphrase 5';
    const created = await withServices(server.env, async (c) => {
      await createTenant(c, { name: 'quiet' });
      await setPolicy(c, { mfa: { mode: 'always', factors: ['totp'] } }, 'quiet');
      await createUser(c, { tenant: 'quiet', email, password });
      return createClient(c, { tenant: 'quiet', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'] });
    });
    const client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    const config = await discover(server.url, client);

    // sign-in with TOTP enrollment: a wrong code, then the right one, then the recovery codes
    const flow = await startFlow(config, client, { email, password });
    let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'totp' });
    const totpSecret = textOf(page.html, 'totp-secret');
    expect(totpSecret).to.match(/^[A-Z2-7]{32}$/);
    const wrong = await wrongTotpCode(totpSecret, Date.now(), ['402137', '518264', '639175']); // unlike any number a log line holds;
    page = await post(flow.browser, page, '/enroll/confirm', { code: wrong });
    expect(page.status).to.equal(401);
    const right = await totpCodeAt(totpSecret, Date.now());
    page = await post(flow.browser, page, '/enroll/confirm', { code: right });
    const recoveryCodes = recoveryCodesOn(page.html);
    expect(recoveryCodes).to.have.length.greaterThan(0);
    page = await post(flow.browser, page, '/continue');
    const code = new URL(page.url).searchParams.get('code')!;
    const { tokens } = await finishFlow(config, client, flow, page);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await oidc.fetchUserInfo(config, refreshed.access_token, oidc.skipSubjectCheck);
    // lk.interaction holds the interaction id, which every sign-in URL carries by design (the signed cookie is what proves it)
    const cookies = [...flow.browser.cookies].filter(([name]) => name !== 'lk.interaction');
    expect(cookies.map(([name]) => name)).to.include.members(['lk.session', 'lk.session.sig', 'lk.csrf']);

    // forgot password from the sign-in page, then the emailed link sets a new password
    const opened = await openSignIn(config, client);
    const forgot = await opened.browser.navigate(/href="([^"]*\/forgot)"/.exec(opened.page.html)![1]!);
    const since = Date.now();
    await submit(opened.browser, { status: 200, url: forgot.url, html: forgot.html }, '/forgot', { email });
    const link = linkIn((await waitForMail(server.url, email, 'Reset your password', since)).text, '/password/reset/');
    const resetToken = link.split('/').pop()!;
    const resetBrowser = new Browser(server.url);
    const resetPage = await resetBrowser.navigate(link);
    const newPassword = 'amber kites follow the slow river 8';
    const done = await submit(resetBrowser, { status: 200, url: resetPage.url, html: resetPage.html }, '/password/reset/', {
      password: newPassword,
      confirm: newPassword,
    });
    expect(done.html).to.include('Your password was changed');

    expect(await server.stop()).to.equal(0);
    const output = server.output();
    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines.some((l) => l.level === 20),
      'debug lines were written',
    ).to.equal(true);
    expect(lines.filter((l) => l.msg === 'request').length).to.be.greaterThan(15);

    const secrets: Record<string, string> = {
      password,
      newPassword,
      totpSecret,
      clientSecret: client.clientSecret,
      code,
      resetToken,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      idToken: tokens.id_token!,
      refreshedAccessToken: refreshed.access_token,
      refreshedRefreshToken: refreshed.refresh_token!,
      codeVerifier: flow.codeVerifier,
      cookieKeys: backend.env.COOKIE_KEYS!,
      keyEncryptionKey: backend.env.KEY_ENCRYPTION_KEY!,
      ...Object.fromEntries(recoveryCodes.map((c, i) => [`recoveryCode${i}`, c])),
      ...Object.fromEntries(cookies.map(([name, value]) => [`cookie ${name}`, value])),
    };
    for (const [name, secret] of Object.entries(secrets)) expect(output.includes(secret), `${name} is in the logs`).to.equal(false);
    // six digits also occur inside timestamps: a code counts only where it stands alone
    for (const [name, six] of Object.entries({ wrongTotpCode: wrong, rightTotpCode: right })) {
      expect(new RegExp(`(?<![0-9])${six}(?![0-9])`).test(output), `${name} is in the logs`).to.equal(false);
    }
    expect(output, 'the reset link is logged without its token').to.include('"path":"/password/reset/:token"');
  });
});
