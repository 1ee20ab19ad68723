import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Clock } from '../../../src/lib/clock.ts';
import { createMemoryOidcStore } from '../../../src/store/oidc-kv/memory-store.ts';
import { createRedisOidcStore } from '../../../src/store/oidc-kv/redis-store.ts';
import type { OidcKvStore } from '../../../src/store/oidc-kv/types.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const START_MS = 1_700_000_000_000;

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = START_MS;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

interface Harness {
  store: OidcKvStore;
  /** the clock the store stamps `consumed` with */
  clock: Clock;
  /** let `ms` pass for the store's expiry */
  elapse(ms: number): Promise<void>;
  /** n stores over the same data, each with its own connection where there is one */
  peers(n: number): OidcKvStore[];
  teardown(): Promise<void>;
}

function contract(name: string, open: () => Harness): void {
  describe(`OidcKvStore contract: ${name}`, () => {
    let h: Harness;
    const id = (): string => randomUUID();
    before(() => (h = open()));
    after(async () => h.teardown());

    it('answers ping, round-trips a payload and misses unknown ids', async () => {
      expect(await h.store.ping()).to.equal(true);
      const jti = id();
      const payload = { accountId: 'acc-1', scope: 'openid', claims: { a: [1, 'x'] }, list: [] };
      await h.store.model('AccessToken').upsert(jti, payload, 60);
      expect(await h.store.model('AccessToken').find(jti)).to.deep.equal(payload);
      expect(await h.store.model('RefreshToken').find(jti)).to.equal(undefined);
      expect(await h.store.model('AccessToken').find(id())).to.equal(undefined);
      await h.store.model('AccessToken').upsert(jti, { accountId: 'acc-2' }, 60);
      expect(await h.store.model('AccessToken').find(jti)).to.deep.equal({ accountId: 'acc-2' });
    });

    it('expires entries and their uid / userCode indexes after expiresIn', async () => {
      const [short, long, forever, uid, code] = [id(), id(), id(), id(), id()];
      const dc = h.store.model('DeviceCode');
      await dc.upsert(short, { uid, userCode: code }, 1);
      await dc.upsert(long, { n: 2 }, 60);
      await dc.upsert(forever, { n: 3 });
      expect(await dc.find(short)).to.deep.equal({ uid, userCode: code });
      await h.elapse(1200);
      expect(await dc.find(short)).to.equal(undefined);
      expect(await dc.findByUid(uid)).to.equal(undefined);
      expect(await dc.findByUserCode(code)).to.equal(undefined);
      expect(await dc.consume(short)).to.equal('missing');
      expect(await dc.find(long)).to.deep.equal({ n: 2 });
      expect(await dc.find(forever)).to.deep.equal({ n: 3 });
    });

    it('finds by uid and by userCode, and not through a stale index', async () => {
      const [sid, uid, dcId, code] = [id(), id(), id(), `ABCD-${id()}`];
      await h.store.model('Session').upsert(sid, { uid, accountId: 'acc-1' }, 60);
      await h.store.model('DeviceCode').upsert(dcId, { userCode: code, grantId: 'g' }, 60);
      expect(await h.store.model('Session').findByUid(uid)).to.deep.equal({ uid, accountId: 'acc-1' });
      expect(await h.store.model('Session').findByUid(id())).to.equal(undefined);
      expect(await h.store.model('Interaction').findByUid(uid)).to.equal(undefined);
      const byCode = await h.store.model('DeviceCode').findByUserCode(code);
      expect(byCode).to.deep.equal({ userCode: code, grantId: 'g' });
      expect(await h.store.model('DeviceCode').findByUserCode('nope')).to.equal(undefined);
      await h.store.model('Session').upsert(sid, { uid: id() }, 60); // uid rotated
      expect(await h.store.model('Session').findByUid(uid)).to.equal(undefined);
    });

    it('destroys an entry', async () => {
      const [sid, uid] = [id(), id()];
      const s = h.store.model('Session');
      await s.upsert(sid, { uid }, 60);
      await s.destroy(sid);
      expect(await s.find(sid)).to.equal(undefined);
      expect(await s.findByUid(uid)).to.equal(undefined);
      await s.destroy(sid); // idempotent
    });

    it('revokeByGrantId removes every grantable model of that grant only', async () => {
      const [g1, g2, at1, rt1, ac1] = [id(), id(), id(), id(), id()];
      const [dc1, cc1, ba1, at2, sid] = [id(), id(), id(), id(), id()];
      const put = (model: string, key: string, grantId: string): Promise<void> => h.store.model(model).upsert(key, { grantId }, 60);
      await h.store.model('Grant').upsert(g1, { accountId: 'acc-1' }, 60);
      await h.store.model('Grant').upsert(g2, { accountId: 'acc-2' }, 60);
      await put('AccessToken', at1, g1);
      await put('RefreshToken', rt1, g1);
      await put('AuthorizationCode', ac1, g1);
      await put('DeviceCode', dc1, g1);
      await put('ClientCredentials', cc1, g1);
      await put('BackchannelAuthenticationRequest', ba1, g1);
      await put('AccessToken', at2, g2);
      await put('Session', sid, g1); // not a grantable model
      await h.store.model('RefreshToken').revokeByGrantId(g1);
      const gone = {
        Grant: g1,
        AccessToken: at1,
        RefreshToken: rt1,
        AuthorizationCode: ac1,
        DeviceCode: dc1,
        ClientCredentials: cc1,
        BackchannelAuthenticationRequest: ba1,
      };
      for (const [model, key] of Object.entries(gone)) {
        expect(await h.store.model(model).find(key), model).to.equal(undefined);
      }
      expect(await h.store.model('Grant').find(g2)).to.deep.equal({ accountId: 'acc-2' });
      expect(await h.store.model('AccessToken').find(at2)).to.deep.equal({ grantId: g2 });
      expect(await h.store.model('Session').find(sid)).to.deep.equal({ grantId: g1 });
      await h.store.model('Grant').revokeByGrantId(g1); // nothing left: no error
    });

    it('lists the Session and Grant entries of an account, and only those', async () => {
      const account = id();
      const [session, grant, token, other] = [id(), id(), id(), id()];
      await h.store.model('Session').upsert(session, { accountId: account, uid: id() }, 60);
      await h.store.model('Grant').upsert(grant, { accountId: account }, 60);
      await h.store.model('AccessToken').upsert(token, { accountId: account, grantId: grant }, 60);
      await h.store.model('Session').upsert(other, { accountId: id() }, 60);
      const entries = await h.store.accountEntries(account);
      expect(entries).to.have.deep.members([
        { model: 'Session', id: session },
        { model: 'Grant', id: grant },
      ]);
      expect(await h.store.accountEntries(id())).to.deep.equal([]);
    });

    it('consumes once, then reports already; the payload shows consumed', async () => {
      const code = id();
      const ac = h.store.model('AuthorizationCode');
      const payload = { grantId: 'g', scope: 'openid', empty: [], nested: { list: [] }, n: 1.5 };
      await ac.upsert(code, payload, 60);
      expect(await ac.consume(code)).to.equal('consumed');
      const stamp = Math.floor(h.clock.now() / 1000);
      expect(await ac.find(code)).to.deep.equal({ ...payload, consumed: stamp });
      expect(await ac.consume(code)).to.equal('already');
      expect((await ac.find(code))?.consumed).to.equal(stamp);
      expect(await ac.consume(id())).to.equal('missing');
      const empty = id();
      await ac.upsert(empty, {}, 60);
      expect(await ac.consume(empty)).to.equal('consumed');
      expect(await ac.find(empty)).to.deep.equal({ consumed: stamp });
    });

    it('lets exactly one of 10 concurrent consumers win', async () => {
      const peers = h.peers(10);
      for (let round = 0; round < 5; round += 1) {
        const code = id();
        await h.store.model('AuthorizationCode').upsert(code, { grantId: 'g' }, 60);
        const results = await Promise.all(peers.map((p) => p.model('AuthorizationCode').consume(code)));
        expect(results.filter((r) => r === 'consumed')).to.have.length(1);
        expect(results.filter((r) => r === 'already')).to.have.length(9);
      }
    });

    it('insertNew stores an id once: exactly one of 10 concurrent callers wins, later callers lose', async () => {
      const peers = h.peers(10);
      const jti = id();
      const results = await Promise.all(peers.map((p, i) => p.model('ReplayDetection').insertNew(jti, { iss: `c${i}` }, 60)));
      expect(results.filter((r) => r)).to.have.length(1);
      const winner = results.indexOf(true);
      expect(await h.store.model('ReplayDetection').find(jti)).to.deep.equal({ iss: `c${winner}` });
      expect(await h.store.model('ReplayDetection').insertNew(jti, { iss: 'late' }, 60)).to.equal(false);
      expect(await h.store.model('ReplayDetection').find(jti)).to.deep.equal({ iss: `c${winner}` });
    });
  });
}

contract('memory', () => {
  const clock = fakeClock();
  const store = createMemoryOidcStore(clock);
  const peers = (n: number): OidcKvStore[] => Array.from({ length: n }, () => store);
  return { store, clock, peers, elapse: async (ms) => clock.advance(ms), teardown: () => store.close() };
});

contract('redis', () => {
  const prefix = `latchkey-test:${randomUUID()}:`;
  const clock = fakeClock();
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    return redis;
  };
  const main = connect();
  return {
    store: createRedisOidcStore(main, { prefix, clock }),
    clock,
    elapse: (ms) => sleep(ms),
    peers: (n) => Array.from({ length: n }, () => createRedisOidcStore(connect(), { prefix, clock })),
    async teardown() {
      await dropKeys(main, prefix);
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
});

describe('redis OidcKvStore specifics', () => {
  const prefix = `latchkey-test:${randomUUID()}:`;
  const redis = new Redis(REDIS_URL);
  after(async () => {
    await dropKeys(redis, prefix);
    await redis.quit();
  });

  it('keeps the grant set alive at least as long as its entries, and drops it on revoke', async () => {
    const store = createRedisOidcStore(redis, { prefix });
    const grantId = randomUUID();
    await store.model('Grant').upsert(grantId, {}, 30);
    await store.model('RefreshToken').upsert('rt', { grantId }, 3600);
    await store.model('AccessToken').upsert('at', { grantId }, 60);
    const setKey = `${prefix}oidc:grant:${grantId}`;
    expect(await redis.smembers(setKey)).to.have.members([`${prefix}oidc:Grant:${grantId}`, `${prefix}oidc:RefreshToken:rt`, `${prefix}oidc:AccessToken:at`]);
    expect(await redis.pttl(setKey)).to.be.within(3_590_000, 3_600_000);
    expect(await store.model('AccessToken').consume('at')).to.equal('consumed');
    expect(await redis.pttl(`${prefix}oidc:AccessToken:at`)).to.be.within(55_000, 60_000);
    await store.model('Grant').revokeByGrantId(grantId);
    expect(await redis.exists(setKey, `${prefix}oidc:RefreshToken:rt`)).to.equal(0);
  });

  it('close() leaves the caller-owned connection open; ping is false when Redis is unreachable', async () => {
    await createRedisOidcStore(redis, { prefix }).close();
    expect(await redis.ping()).to.equal('PONG');
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => {});
    expect(await createRedisOidcStore(dead, { prefix }).ping()).to.equal(false);
    dead.disconnect();
  });
});
