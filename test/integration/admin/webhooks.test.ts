import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { loadSettings } from '../../../src/config/load.ts';
import { createContainer } from '../../../src/app/container.ts';
import { TenantWebhookEntity, WebhookDeliveryEntity } from '../../../src/store/entities/index.ts';
import { verifySignature } from '../../../src/admin/webhooks/signature.ts';
import type { BackendKind } from '../../support/backends.ts';
import { auditEvents, expectError, startAdminWorld, stopAdminWorld, type AdminWorld, type TenantAdmin } from './support.ts';
import { startReceiver, type Received, type Receiver } from './webhook-receiver.ts';

const MINUTE = 60_000;

/** the parts of a Latchkey-Signature header */
function signatureParts(header: string | string[] | undefined): { t: number; v1: string } {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  expect(match, `signature header ${String(header)}`).to.not.equal(null);
  return { t: Number(match![1]), v1: match![2]! };
}

/** what a receiver does, written out with node:crypto alone: HMAC-SHA256 of "<t>.<raw body>" with the secret */
function signedBy(secret: string, request: Received): boolean {
  const { t, v1 } = signatureParts(request.headers['latchkey-signature']);
  return createHmac('sha256', secret).update(`${t}.${request.body}`).digest('hex') === v1;
}

/** one admin API world with a receiver, and verbs for the webhook tests */
async function webhookWorld(kind: BackendKind) {
  const w = await startAdminWorld(kind);
  const receiver = await startReceiver();
  let offset = 0;
  const c = w.f.server.container;
  // the server started its worker; here the tests drive every round themselves (round()), so a
  // background round can never take a delivery in between (one test starts it on purpose)
  await c.webhooks.worker.stop();
  return {
    w,
    receiver,
    c,
    /** moves the server's clock forward by ms (cumulative) */
    later(ms: number) {
      offset += ms;
      w.clock.travel(offset);
    },
    /** one worker round, and what the receiver got during it */
    async round(): Promise<Received[]> {
      await c.webhooks.worker.runOnce();
      return receiver.take();
    },
    async put(admin: TenantAdmin, path: string) {
      const res = await w.api('PUT', `/tenants/${admin.tenant}/webhook`, { token: admin.token, body: { url: `${receiver.url}${path}` } });
      expect(res.status, JSON.stringify(res.json)).to.equal(200);
      return res.json as { secret: string; webhook: { url: string } };
    },
    /** an audit event of the tenant, through the API (a policy change to a new value) */
    async event(admin: TenantAdmin): Promise<void> {
      const now = (await w.api('GET', `/tenants/${admin.tenant}/policy`, { token: admin.token })).json.policy.lockout.maxFailures as number;
      const res = await w.api('PATCH', `/tenants/${admin.tenant}/policy`, { token: admin.token, body: { lockout: { maxFailures: now === 7 ? 8 : 7 } } });
      expect(res.status).to.equal(200);
    },
    deliveries: (tenantId: string) => c.db.em().find(WebhookDeliveryEntity, { tenantId }, { orderBy: { createdAt: 'asc' } }),
    async stop() {
      await receiver.close();
      await stopAdminWorld(w);
    },
  };
}

describe('admin API: audit webhooks (PostgreSQL + Redis)', () => {
  let t: Awaited<ReturnType<typeof webhookWorld>>;
  let w: AdminWorld;
  let receiver: Receiver;
  let secret: string;
  before(async () => {
    t = await webhookWorld('postgres');
    ({ w, receiver } = t);
  });
  after(() => t.stop());

  it('PUT sets the webhook and shows its generated secret once; GET shows it without; the secret is sealed at rest', async () => {
    const put = await t.put(w.a, '/a');
    secret = put.secret;
    expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(put.webhook.url).to.equal(`${receiver.url}/a`);
    const got = await w.api('GET', `/tenants/${w.a.tenant}/webhook`);
    expect(got.status).to.equal(200);
    expect(got.json).to.include({ url: `${receiver.url}/a` });
    expect(got.json.deliveries).to.deep.equal({ pending: 1, delivered: 0, failed: 0 });
    expect(JSON.stringify(got.json)).not.to.include(secret);
    const row = await t.c.db.em().findOne(TenantWebhookEntity, { tenant: w.a.tenantId });
    expect(row!.secretSealed).to.match(/^v1\./).and.not.include(secret.slice(6));
    const [event] = await auditEvents(w, 'webhook.configured');
    expect(event).to.include({ actor: `token:${w.a.tokenId}` });
    expect(event!.details).to.deep.equal({ url: `${receiver.url}/a`, previousUrl: null });
  });

  it('refuses bad URLs and bodies (400) and answers 404 for a tenant without a webhook', async () => {
    for (const url of [
      'ftp://hooks.example.test/x',
      'https://user:pw@hooks.example.test/x',
      'not a url',
      'https://hooks.example.test/x#frag',
      'javascript:alert(1)',
    ]) {
      expectError(await w.api('PUT', `/tenants/${w.b.tenant}/webhook`, { token: w.b.token, body: { url } }), 400, 'webhook.invalid_url');
    }
    for (const body of [{}, { url: 7 }, { url: `https://hooks.example.test/${'x'.repeat(2048)}` }, { url: 'https://hooks.example.test/x', secret: 'mine' }]) {
      expectError(await w.api('PUT', `/tenants/${w.b.tenant}/webhook`, { token: w.b.token, body }), 400, 'request.invalid');
    }
    expectError(await w.api('GET', `/tenants/${w.b.tenant}/webhook`, { token: w.b.token }), 404, 'webhook.not_found');
    expectError(await w.api('DELETE', `/tenants/${w.b.tenant}/webhook`, { token: w.b.token }), 404, 'webhook.not_found');
    expect(await t.deliveries(w.b.tenantId)).to.deep.equal([]);
  });

  it('POSTs every event of the tenant as JSON, signed with the secret, once', async () => {
    await t.event(w.a);
    const got = await t.round();
    expect(got.map((r) => r.json.action).sort()).to.deep.equal(['tenant.policy_updated', 'webhook.configured']);
    const policy = got.find((r) => r.json.action === 'tenant.policy_updated')!;
    expect(policy.path).to.equal('/a');
    expect(policy.headers['content-type']).to.equal('application/json');
    expect(policy.headers['user-agent']).to.equal('Latchkey-Webhook/1');
    expect(policy.headers['latchkey-event-id']).to.equal(policy.json.id);
    expect(policy.json).to.include({ action: 'tenant.policy_updated', tenantId: w.a.tenantId, actor: `token:${w.a.tokenId}`, userId: null });
    expect(policy.json.details).to.have.keys('before', 'after');
    const [listed] = await auditEvents(w, 'tenant.policy_updated');
    expect(policy.json.id).to.equal(listed!.id);
    expect(policy.json.createdAt).to.equal(listed!.createdAt);

    expect(signedBy(secret, policy)).to.equal(true);
    const header = String(policy.headers['latchkey-signature']);
    const nowSeconds = Math.floor(t.c.clock.now() / 1000);
    expect(verifySignature(secret, header, policy.body, { nowSeconds })).to.equal(true);
    expect(verifySignature(`${secret}x`, header, policy.body, { nowSeconds }), 'another secret').to.equal(false);
    expect(verifySignature(secret, header, policy.body.replace('policy_updated', 'policy_updatee'), { nowSeconds }), 'a changed body').to.equal(false);
    expect(verifySignature(secret, header, policy.body, { nowSeconds: nowSeconds + 600 }), 'a replay 10 minutes later').to.equal(false);

    expect(await t.round(), 'nothing is sent twice').to.deep.equal([]);
    const rows = await t.deliveries(w.a.tenantId);
    expect(rows.map((r) => [r.state, r.attempts, r.lastStatus])).to.deep.equal([
      ['delivered', 1, 200],
      ['delivered', 1, 200],
    ]);
  });

  it('retries a failed delivery a minute later with the same body and a fresh signature, and stops after success', async () => {
    receiver.answer(500);
    await t.event(w.a);
    const [first] = await t.round();
    expect(first!.json.action).to.equal('tenant.policy_updated');
    const row = (await t.deliveries(w.a.tenantId)).at(-1)!;
    expect(row).to.include({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
    expect(row.nextAttemptAt.getTime() - t.c.clock.now()).to.be.within(59_000, 60_000);

    expect(await t.round(), 'not yet due').to.deep.equal([]);
    t.later(59_000);
    expect(await t.round(), 'still not due').to.deep.equal([]);
    t.later(2_000);
    const [second] = await t.round();
    expect(second!.body).to.equal(first!.body);
    expect(second!.headers['latchkey-event-id']).to.equal(first!.headers['latchkey-event-id']);
    expect(signatureParts(second!.headers['latchkey-signature']).t).to.be.greaterThan(signatureParts(first!.headers['latchkey-signature']).t);
    expect(signedBy(secret, second!)).to.equal(true);

    t.later(2 * 60 * MINUTE);
    expect(await t.round(), 'delivered: never again').to.deep.equal([]);
    expect((await t.deliveries(w.a.tenantId)).at(-1)).to.include({ state: 'delivered', attempts: 2, lastStatus: 200, lastError: null });
  });

  it('tries 5 times over about an hour (at once, then after 1, 5, 15 and 40 minutes), then gives up', async () => {
    receiver.answer(500, 503, 500, 500, 502);
    await t.event(w.a);
    expect(await t.round()).to.have.length(1);
    for (const minutes of [1, 5, 15, 40]) {
      t.later(minutes * MINUTE - 1000);
      expect(await t.round(), `${minutes} minutes: not yet`).to.deep.equal([]);
      t.later(1000);
      expect(await t.round(), `after ${minutes} more minutes`).to.have.length(1);
    }
    const row = (await t.deliveries(w.a.tenantId)).at(-1)!;
    expect(row).to.include({ state: 'failed', attempts: 5, lastStatus: 502 });
    expect(row.completedAt).to.be.an.instanceOf(Date);
    t.later(24 * 60 * MINUTE);
    expect(await t.round(), 'given up').to.deep.equal([]);
    expect((await w.api('GET', `/tenants/${w.a.tenant}/webhook`)).json.deliveries.failed).to.equal(1);
    receiver.take();
  });

  it('sends each tenant only its own events, signed with its own secret', async () => {
    const b = await t.put(w.b, '/b');
    await t.event(w.a);
    await t.event(w.b);
    await t.c.audit.record({ action: 'signin.failed', tenantId: w.b.tenantId, actor: 'anonymous', ip: '203.0.113.9' });
    const got = await t.round();
    const toA = got.filter((r) => r.path === '/a');
    const toB = got.filter((r) => r.path === '/b');
    expect(toA.map((r) => r.json.action)).to.deep.equal(['tenant.policy_updated']);
    expect(toB.map((r) => r.json.action).sort()).to.deep.equal(['signin.failed', 'tenant.policy_updated', 'webhook.configured']);
    for (const r of toA) expect([r.json.tenantId, signedBy(secret, r), signedBy(b.secret, r)]).to.deep.equal([w.a.tenantId, true, false]);
    for (const r of toB) expect([r.json.tenantId, signedBy(b.secret, r), signedBy(secret, r)]).to.deep.equal([w.b.tenantId, true, false]);
    expect(toB.find((r) => r.json.action === 'signin.failed')!.json.ip).to.equal('203.0.113.9');
  });

  it('never sends a delivery twice when two replicas work the same outbox', async () => {
    const replica = await createContainer(loadSettings(w.env), { clock: w.clock });
    try {
      for (let i = 0; i < 45; i += 1) await t.c.audit.record({ action: 'user.unlocked', tenantId: w.a.tenantId, actor: 'system', details: { i } });
      receiver.delayMs = 5;
      await Promise.all([t.c.webhooks.worker.runOnce(), replica.webhooks.worker.runOnce(), t.c.webhooks.worker.runOnce(), replica.webhooks.worker.runOnce()]);
      const got = receiver.take();
      const ids = got.map((r) => r.json.id as string);
      expect(ids).to.have.length(45);
      expect(new Set(ids).size).to.equal(45);
      expect(got.map((r) => r.json.details.i).sort((x, y) => x - y)).to.deep.equal([...Array(45).keys()]);
    } finally {
      receiver.delayMs = 0;
      await replica.close();
    }
  });

  it('a replaced webhook gets a new secret; what was queued for the old one is dropped', async () => {
    receiver.answer(500);
    await t.event(w.a);
    expect(await t.round()).to.have.length(1);
    const replaced = await t.put(w.a, '/a2');
    expect(replaced.secret).not.to.equal(secret);
    const [event] = await auditEvents(w, 'webhook.configured');
    expect(event!.details).to.deep.equal({ url: `${receiver.url}/a2`, previousUrl: `${receiver.url}/a` });
    t.later(2 * MINUTE);
    const got = await t.round();
    expect(got.map((r) => [r.path, r.json.action])).to.deep.equal([['/a2', 'webhook.configured']]);
    expect(signedBy(replaced.secret, got[0]!)).to.equal(true);
    expect(signedBy(secret, got[0]!)).to.equal(false);
    expect((await t.deliveries(w.a.tenantId)).map((r) => r.url)).to.deep.equal([`${receiver.url}/a2`]);
    secret = replaced.secret;
  });

  it('the worker, once started, delivers by itself soon after an event', async () => {
    t.c.webhooks.worker.start();
    try {
      await t.event(w.a);
      const deadline = Date.now() + 5000;
      let got: Received[] = [];
      while (!got.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        got = receiver.take();
      }
      expect(got.map((r) => r.json.action)).to.deep.equal(['tenant.policy_updated']);
    } finally {
      await t.c.webhooks.worker.stop();
    }
  });

  it('DELETE removes the webhook: queued deliveries dropped, no more sent', async () => {
    receiver.answer(500);
    await t.event(w.a);
    expect(await t.round()).to.have.length(1);
    const res = await w.api('DELETE', `/tenants/${w.a.tenant}/webhook`);
    expect(res.status).to.equal(204);
    expectError(await w.api('GET', `/tenants/${w.a.tenant}/webhook`), 404, 'webhook.not_found');
    await t.event(w.a);
    t.later(2 * MINUTE);
    expect(await t.round()).to.deep.equal([]);
    expect(await t.deliveries(w.a.tenantId)).to.deep.equal([]);
    const [removed] = await auditEvents(w, 'webhook.removed');
    expect(removed!.details).to.deep.equal({ url: `${receiver.url}/a2` });
  });
});

describe('admin API: audit webhooks (embedded)', () => {
  let t: Awaited<ReturnType<typeof webhookWorld>>;
  before(async () => {
    t = await webhookWorld('embedded');
  });
  after(() => t.stop());

  it('delivers signed events and retries a failure later', async () => {
    const { secret } = await t.put(t.w.a, '/e');
    expect((await t.round()).map((r) => [r.json.action, signedBy(secret, r)])).to.deep.equal([['webhook.configured', true]]);
    t.receiver.answer(500);
    await t.event(t.w.a);
    const first = await t.round();
    expect(first.map((r) => [r.json.action, signedBy(secret, r)])).to.deep.equal([['tenant.policy_updated', true]]);
    expect(await t.round(), 'not yet due').to.deep.equal([]);
    t.later(61_000);
    const again = await t.round();
    expect(again.map((r) => r.json.id)).to.deep.equal([first[0]!.json.id]);
    expect(await t.round()).to.deep.equal([]);
    expect((await t.deliveries(t.w.a.tenantId)).map((r) => r.state)).to.deep.equal(['delivered', 'delivered']);
  });
});
