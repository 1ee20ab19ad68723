import { expect } from 'chai';
import * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { finishFlow, post, startFlow, textOf, wrongTotpCode } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';
import { startFixtureOnOwnRedis, type OwnRedis } from '../../support/redis-process.ts';
import { scrape, metricValue, type Sample } from '../../support/prometheus.ts';

describe('metrics: GET /metrics counts sign-ins, tokens and requests by bounded labels', function () {
  this.timeout(90_000);
  let f: Fixture;
  let config: oidc.Configuration;
  const clock = movableClock();

  before(async () => {
    ({ f, config } = await startFixture('postgres', { clock }));
  });
  after(() => disposeFixture(f));

  it('moves the sign-in, security event, token and request counters with the right labels', async () => {
    const before = await scrape(f.server.url);
    const delta = (after: Sample[], name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);

    const failed = await openSignIn(config, f.client);
    const uid = /\/interaction\/([^/?#]+)/.exec(failed.page.url)?.[1];
    expect(uid, 'the sign-in page lives under /interaction/<uid>').to.be.a('string');
    const refused = await submit(failed.browser, failed.page, '/login', { email: f.user.email, password: 'not the password at all 1' });
    expect(refused.status).to.equal(401);

    const result = await signIn(config, f.client, f.user);
    const tokens = await exchange(config, result);
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await fetch(`${f.server.url}/no/such/${uid}`)).status).to.equal(404);

    const after = await scrape(f.server.url);
    expect(delta(after, 'latchkey_signins_total', { result: 'succeeded' })).to.equal(1);
    expect(delta(after, 'latchkey_signins_total', { result: 'failed' })).to.equal(1);
    expect(metricValue(after, 'latchkey_signins_total', { result: 'locked' }), 'every result is shown from the start').to.equal(0);
    expect(after.some((s) => s.name === 'latchkey_signins_total' && s.labels.result === 'locked')).to.equal(true);
    expect(delta(after, 'latchkey_security_events_total', { action: 'signin.failed' })).to.equal(1);
    expect(delta(after, 'latchkey_security_events_total', { action: 'signin.succeeded' })).to.equal(1);
    expect(delta(after, 'latchkey_locks_total')).to.equal(0);

    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'authorization_code', grant: 'authorization_code' })).to.equal(1);
    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'access_token', grant: 'authorization_code' })).to.equal(1);
    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'id_token', grant: 'authorization_code' })).to.equal(1);
    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'refresh_token', grant: 'authorization_code' })).to.equal(1);
    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'access_token', grant: 'refresh_token' })).to.equal(1);
    expect(delta(after, 'latchkey_tokens_issued_total', { type: 'refresh_token', grant: 'refresh_token' })).to.equal(1);

    const requests = (labels: Record<string, string>) => delta(after, 'latchkey_http_requests_total', labels);
    expect(requests({ route: '/interaction/:uid/login', method: 'POST', status_class: '4xx' })).to.equal(1);
    expect(requests({ route: '/interaction/:uid/login', method: 'POST', status_class: '3xx' })).to.equal(1);
    expect(requests({ route: '/interaction/:uid', method: 'GET', status_class: '2xx' })).to.equal(2);
    expect(requests({ route: '/auth', method: 'GET', status_class: '3xx' })).to.equal(2);
    expect(requests({ route: '/auth/:uid', method: 'GET' })).to.be.at.least(1);
    expect(requests({ route: '/token', method: 'POST', status_class: '2xx' })).to.equal(2);
    expect(requests({ route: 'other', method: 'GET', status_class: '4xx' })).to.equal(1);
    expect(delta(after, 'latchkey_http_request_duration_seconds_count', { route: '/token', method: 'POST', status_class: '2xx' })).to.equal(2);
    expect(metricValue(after, 'latchkey_http_request_duration_seconds_sum', { route: '/token' })).to.be.greaterThan(0);

    expect(after.some((s) => s.name === 'latchkey_argon2_in_flight')).to.equal(true);
    expect(metricValue(after, 'latchkey_argon2_queue_depth')).to.equal(0);
    expect(
      after.some((s) => s.name === 'process_cpu_seconds_total'),
      'the default process metrics stay',
    ).to.equal(true);

    const values = after.flatMap((s) => Object.values(s.labels));
    expect(
      values.filter((v) => v.includes(uid!)),
      'no label holds an interaction id',
    ).to.deep.equal([]);
    expect(values.filter((v) => v.includes(f.user.email) || v.includes(f.tenant) || v.includes(f.client.clientId))).to.deep.equal([]);
    const routes = new Set(after.filter((s) => s.name === 'latchkey_http_requests_total').map((s) => s.labels.route!));
    for (const route of routes) expect(route === 'other' || route.startsWith('/'), route).to.equal(true);
    // interaction ids, tokens and codes are mixed-case random strings; templates and our paths are lower case
    for (const route of routes) expect(route, 'a raw id in a route label').not.to.match(/[A-Z]/);
  });

  it('counts second-factor codes by factor and result', async () => {
    await setPolicy(f, { mfa: { mode: 'always', factors: ['totp'] } });
    const before = await scrape(f.server.url);
    const delta = (after: Sample[], labels: Record<string, string>) =>
      metricValue(after, 'latchkey_second_factor_total', labels) - metricValue(before, 'latchkey_second_factor_total', labels);
    const enrolling = await startFlow(config, f.client, f.user);
    let page = await post(enrolling.browser, enrolling.page, '/enroll/start', { type: 'totp' });
    const secret = textOf(page.html, 'totp-secret');
    page = await post(enrolling.browser, page, '/enroll/confirm', { code: await wrongTotpCode(secret, clock.now()) });
    expect(page.status).to.equal(401);
    page = await post(enrolling.browser, page, '/enroll/confirm', { code: await totpCodeAt(secret, clock.now()) });
    await finishFlow(config, f.client, enrolling, await post(enrolling.browser, page, '/continue'));

    clock.travel(2 * 30_000);
    const next = await startFlow(config, f.client, f.user);
    page = await post(next.browser, next.page, '/mfa', { code: await wrongTotpCode(secret, clock.now()) });
    expect(page.status).to.equal(401);
    page = await post(next.browser, page, '/mfa', { code: await totpCodeAt(secret, clock.now()) });
    await finishFlow(config, f.client, next, page);

    const after = await scrape(f.server.url);
    expect(delta(after, { factor: 'totp', result: 'failed' }), 'one wrong code at enrollment, one at sign-in').to.equal(2);
    expect(delta(after, { factor: 'totp', result: 'succeeded' })).to.equal(1);
    expect(delta(after, { factor: 'email' })).to.equal(0);
  });

  it('counts locks', async () => {
    await setPolicy(f, { mfa: { mode: 'optional' } });
    const before = await scrape(f.server.url);
    const opened = await openSignIn(config, f.client);
    let page = opened.page;
    for (let i = 0; i < 5; i += 1) page = await submit(opened.browser, page, '/login', { email: f.user.email, password: `wrong password number ${i}` });
    const after = await scrape(f.server.url);
    expect(metricValue(after, 'latchkey_locks_total') - metricValue(before, 'latchkey_locks_total')).to.equal(1);
    expect(
      metricValue(after, 'latchkey_security_events_total', { action: 'user.locked' }) -
        metricValue(before, 'latchkey_security_events_total', { action: 'user.locked' }),
    ).to.equal(1);
  });
});

describe('metrics: Redis errors', function () {
  this.timeout(90_000);
  let f: Fixture;
  let config: oidc.Configuration;
  let redis: OwnRedis;
  let dispose: (() => Promise<void>) | undefined;

  before(async () => {
    ({ f, config, redis, dispose } = await startFixtureOnOwnRedis());
  });
  after(async () => {
    await dispose?.();
  });

  it('counts connection errors, failed readiness checks and the requests a Redis outage broke', async () => {
    const opened = await openSignIn(config, f.client);
    await redis.stop();
    expect((await submit(opened.browser, opened.page, '/login', { email: f.user.email, password: f.user.password })).status).to.equal(503);
    expect((await fetch(`${f.server.url}/readyz`)).status).to.equal(503);
    const authorize = await fetch(
      `${f.server.url}/auth?client_id=${f.client.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(f.client.redirectUri)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`,
      {
        headers: { accept: 'text/html' },
        redirect: 'manual',
      },
    );
    expect(authorize.status).to.equal(503);

    const after = await scrape(f.server.url);
    expect(metricValue(after, 'latchkey_store_errors_total', { store: 'redis', source: 'connection' })).to.be.at.least(1);
    expect(metricValue(after, 'latchkey_store_errors_total', { store: 'redis', source: 'readiness' })).to.equal(1);
    expect(metricValue(after, 'latchkey_store_errors_total', { store: 'redis', source: 'request' }), 'our sign-in step and the provider').to.be.at.least(2);
    expect(metricValue(after, 'latchkey_store_errors_total', { store: 'database' })).to.equal(0);
    expect(metricValue(after, 'latchkey_http_requests_total', { route: '/readyz', status_class: '5xx' })).to.equal(1);
  });
});
