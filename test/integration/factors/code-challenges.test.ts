import { randomBytes, randomInt } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Clock } from '../../../src/lib/clock.ts';
import type { ChallengeLimits, CodeChallenges, IssueInput, VerifyResult } from '../../../src/factors/code-challenges.ts';
import { createMemoryCodeChallenges } from '../../../src/store/challenges/memory-challenges.ts';
import { createRedisCodeChallenges } from '../../../src/store/challenges/redis-challenges.ts';
import { REDIS_URL } from '../../support/backends.ts';

const LIMITS: ChallengeLimits = {
  ttlSeconds: 300,
  maxAttempts: 5,
  userFailures: 20,
  failureWindowSeconds: 900,
  resendIntervalSeconds: 30,
  sendsPerHour: 5,
  perNumberPerHour: 3,
  perTenantPerHour: 4,
};
/** the per-IP and per-prefix caps are counted only for sends that name an ip and a prefix */
const SCOPED: ChallengeLimits = { ...LIMITS, perTenantPerHour: 100, perIpPerHour: 3, perPrefixPerHour: 2 };
const HOUR = 3600_000;

function steppingClock(): Clock & { advance(ms: number): void } {
  let t = Date.now();
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

interface Harness {
  clock: ReturnType<typeof steppingClock>;
  /** stores over the same data; with Redis each has its own connection, like replicas */
  peers: CodeChallenges[];
  /** every key name and stored value of the Redis prefix (undefined in process) */
  dump?(): Promise<string[]>;
  teardown(): Promise<void>;
}

function openRedis(): Harness {
  const clock = steppingClock();
  const secret = randomBytes(32);
  const prefix = `lktest:${randomBytes(4).toString('hex')}:`;
  const connections = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
  const keys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await connections[0]!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  return {
    clock,
    peers: connections.map((redis) => createRedisCodeChallenges(redis, { prefix, clock, secret })),
    async dump() {
      const redis = connections[0]!;
      const out: string[] = [];
      for (const key of await keys()) {
        const type = await redis.type(key);
        if (type === 'hash') out.push(key, ...Object.entries(await redis.hgetall(key)).flat());
        else if (type === 'zset') out.push(key, ...(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        else out.push(key, String(await redis.get(key)));
      }
      return out;
    },
    async teardown() {
      const found = await keys();
      if (found.length > 0) await connections[0]!.del(...found);
      for (const c of connections) c.disconnect();
    },
  };
}

function openMemory(): Harness {
  const clock = steppingClock();
  return { clock, peers: [createMemoryCodeChallenges({ clock, secret: randomBytes(32) })], teardown: async () => {} };
}

const id = (kind: string) => `${kind}-${randomBytes(6).toString('hex')}`;
const phone = () => `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
const otherThan = (code: string, offset = 1) => String((Number(code) + offset) % 1_000_000).padStart(6, '0');

function contract(name: string, open: () => Harness): void {
  describe(`code challenges: ${name}`, () => {
    let h: Harness;
    let store: CodeChallenges;
    beforeEach(() => {
      h = open();
      store = h.peers[0]!;
    });
    afterEach(async () => h.teardown());

    const issue = (over: Partial<IssueInput> = {}) =>
      store.issue({
        purpose: 'signin',
        uid: id('uid'),
        userId: id('user'),
        tenantId: id('tenant'),
        channel: 'sms',
        destination: phone(),
        limits: LIMITS,
        ...over,
      });
    async function issued(over: Partial<IssueInput> = {}) {
      const r = await issue(over);
      if (!r.ok) throw new Error(`issue refused: ${r.reason}`);
      return r;
    }
    const verify = (uid: string, userId: string, code: string, limits = LIMITS, peer = store) => peer.verify({ purpose: 'signin', uid, userId, code, limits });

    it('issues a 6-digit code that verifies once, for the channel and destination it was sent to', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId, channel: 'email', destination: 'ann@example.com' });
      expect(r.code).to.match(/^[0-9]{6}$/);
      expect(r.expiresAt).to.equal(h.clock.now() + 300_000);
      expect(await store.current('signin', uid)).to.deep.equal({ channel: 'email', destination: 'ann@example.com', expiresAt: r.expiresAt, attempts: 0 });

      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: true, channel: 'email', destination: 'ann@example.com' });
      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: false, reason: 'none' });
      expect(await store.current('signin', uid)).to.equal(undefined);
    });

    it('counts a wrong code and keeps the right one usable', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId });
      expect(await verify(uid, userId, otherThan(r.code))).to.deep.equal({ ok: false, reason: 'wrong', attemptsLeft: 4 });
      expect(await verify(uid, userId, 'not a code')).to.deep.equal({ ok: false, reason: 'wrong', attemptsLeft: 3 });
      expect((await store.current('signin', uid))?.attempts).to.equal(2);
      expect((await verify(uid, userId, r.code)).ok).to.equal(true);
    });

    it('voids the challenge at the 5th wrong code; the right code and a new send are then refused', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId });
      for (let left = 4; left >= 1; left--) {
        expect(await verify(uid, userId, otherThan(r.code, left))).to.deep.equal({ ok: false, reason: 'wrong', attemptsLeft: left });
      }
      expect(await verify(uid, userId, otherThan(r.code, 9))).to.deep.equal({ ok: false, reason: 'voided', attemptsLeft: 0 });
      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: false, reason: 'voided' });

      h.clock.advance(60_000);
      expect(await issue({ uid, userId })).to.deep.equal({ ok: false, reason: 'voided', retryAfterSeconds: 0 });
      expect((await issue({ uid: id('uid'), userId })).ok, 'a new sign-in may send again').to.equal(true);
    });

    it('refuses a second send within 30 s on any channel, saying how long to wait', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      await issued({ uid, userId });
      h.clock.advance(10_000);
      expect(await issue({ uid, userId })).to.deep.equal({ ok: false, reason: 'resend-too-soon', retryAfterSeconds: 20 });
      expect(await issue({ uid: id('uid'), userId, channel: 'email', destination: 'a@example.com' })).to.deep.equal({
        ok: false,
        reason: 'resend-too-soon',
        retryAfterSeconds: 20,
      });
      expect((await issue({ userId: id('user') })).ok, 'another user is not held back').to.equal(true);
      h.clock.advance(20_000);
      expect((await issue({ uid, userId })).ok).to.equal(true);
    });

    it('refuses the 6th send of a user within an hour until the first leaves the window', async () => {
      const userId = id('user');
      for (let i = 0; i < 5; i++) {
        await issued({ userId, channel: i % 2 ? 'email' : 'voice', destination: i % 2 ? 'b@example.com' : phone() });
        h.clock.advance(31_000);
      }
      expect(await issue({ userId })).to.deep.equal({ ok: false, reason: 'user-hourly-limit', retryAfterSeconds: 3600 - 155 });
      h.clock.advance(HOUR - 155_000 - 1);
      expect((await issue({ userId })).ok).to.equal(false);
      h.clock.advance(1);
      expect((await issue({ userId })).ok).to.equal(true);
    });

    it('caps sms and voice sends to one number per hour, whoever asks', async () => {
      const number = phone();
      for (const channel of ['sms', 'voice', 'sms'] as const) {
        await issued({ channel, destination: number });
        h.clock.advance(1000);
      }
      expect(await issue({ destination: number })).to.deep.equal({ ok: false, reason: 'number-hourly-limit', retryAfterSeconds: 3600 - 3 });
      expect((await issue({ destination: phone() })).ok).to.equal(true);
      h.clock.advance(HOUR);
      expect((await issue({ destination: number })).ok).to.equal(true);
    });

    it('caps sms and voice sends of one tenant per hour', async () => {
      const tenantId = id('tenant');
      for (let i = 0; i < 4; i++) await issued({ tenantId, channel: i % 2 ? 'voice' : 'sms' });
      expect(await issue({ tenantId })).to.deep.equal({ ok: false, reason: 'tenant-hourly-limit', retryAfterSeconds: 3600 });
      expect((await issue({ tenantId: id('tenant') })).ok, 'another tenant').to.equal(true);
      h.clock.advance(HOUR);
      expect((await issue({ tenantId })).ok).to.equal(true);
    });

    it('caps sms and voice sends asked from one address per hour, across tenants', async () => {
      const ip = '203.0.113.7';
      for (let i = 0; i < 3; i++) await issued({ ip, prefix: `+4420${i}`, tenantId: id('tenant'), limits: SCOPED });
      h.clock.advance(1000);
      expect(await issue({ ip, prefix: '+44209', limits: SCOPED })).to.deep.equal({ ok: false, reason: 'ip-hourly-limit', retryAfterSeconds: 3599 });
      expect((await issue({ ip: '2001:db8:1:2::/64', prefix: '+44208', limits: SCOPED })).ok, 'another address').to.equal(true);
      expect((await issue({ ip, prefix: '+44207', channel: 'email', destination: 'ann@example.com', limits: SCOPED })).ok, 'email is not counted').to.equal(
        true,
      );
      h.clock.advance(HOUR);
      expect((await issue({ ip, prefix: '+44209', limits: SCOPED })).ok).to.equal(true);
    });

    it('caps sms and voice sends to one block of numbers per hour, whoever asks', async () => {
      const prefix = '+1415555';
      await issued({ prefix, ip: '198.51.100.1', limits: SCOPED });
      await issued({ prefix, ip: '198.51.100.2', channel: 'voice', limits: SCOPED });
      expect(await issue({ prefix, ip: '198.51.100.3', limits: SCOPED })).to.deep.equal({ ok: false, reason: 'prefix-hourly-limit', retryAfterSeconds: 3600 });
      expect((await issue({ prefix: '+1415556', ip: '198.51.100.3', limits: SCOPED })).ok, 'the next block').to.equal(true);
      h.clock.advance(HOUR);
      expect((await issue({ prefix, ip: '198.51.100.3', limits: SCOPED })).ok).to.equal(true);
    });

    it('does not count email toward the number and tenant caps', async () => {
      const tenantId = id('tenant');
      for (let i = 0; i < 6; i++) await issued({ tenantId, channel: 'email', destination: 'shared@example.com' });
      for (let i = 0; i < 4; i++) await issued({ tenantId });
      expect(await issue({ tenantId })).to.deep.include({ ok: false, reason: 'tenant-hourly-limit' });
    });

    it('a new code voids the old one and keeps the failure count', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const first = await issued({ uid, userId });
      await verify(uid, userId, otherThan(first.code));
      await verify(uid, userId, otherThan(first.code, 2));
      let second = first;
      while (second.code === first.code) {
        h.clock.advance(30_000);
        second = await issued({ uid, userId, channel: 'email', destination: 'c@example.com' });
      }
      expect(await store.current('signin', uid)).to.deep.include({ channel: 'email', attempts: 2, expiresAt: second.expiresAt });
      expect(await verify(uid, userId, first.code)).to.deep.equal({ ok: false, reason: 'wrong', attemptsLeft: 2 });
      expect(await verify(uid, userId, second.code)).to.deep.equal({ ok: true, channel: 'email', destination: 'c@example.com' });
    });

    it('counts at most maxAttempts of 100 parallel wrong codes; none succeeds and the right code is then refused', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => verify(uid, userId, otherThan(r.code, i + 1), LIMITS, h.peers[i % h.peers.length])),
      );
      expect(results.some((x) => x.ok)).to.equal(false);
      const counted = results.filter((x) => !x.ok && x.attemptsLeft !== undefined);
      expect(counted).to.have.length(5);
      expect(counted.filter((x) => !x.ok && x.reason === 'voided')).to.have.length(1);
      expect(results.filter((x) => !x.ok && x.reason === 'voided' && x.attemptsLeft === undefined)).to.have.length(95);
      expect((await store.current('signin', uid))?.attempts).to.equal(5);
      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: false, reason: 'voided' });
    });

    it('holds the per-user cap across two parallel sign-ins, and lifts it when the window passes', async () => {
      const limits = { ...LIMITS, userFailures: 6 };
      const userId = id('user');
      const a = { uid: id('uid'), code: '' };
      a.code = (await issued({ uid: a.uid, userId })).code;
      h.clock.advance(30_000);
      const b = { uid: id('uid'), code: '' };
      b.code = (await issued({ uid: b.uid, userId })).code;
      const results: VerifyResult[] = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const target = i % 2 ? a : b;
          return verify(target.uid, userId, otherThan(target.code, i + 1), limits, h.peers[i % h.peers.length]);
        }),
      );
      expect(results.some((x) => x.ok)).to.equal(false);
      expect(
        results.filter((x) => !x.ok && x.attemptsLeft !== undefined),
        'wrong codes counted',
      ).to.have.length(6);
      // the rest were refused uncounted: the user's cap, or one sign-in's own 5 reached first
      const refused = results.filter((x) => !x.ok && x.attemptsLeft === undefined && ['user-locked', 'voided'].includes(x.reason));
      expect(refused).to.have.length(54);
      const attempts = (await store.current('signin', a.uid))!.attempts + (await store.current('signin', b.uid))!.attempts;
      expect(attempts).to.equal(6);

      expect(await verify(b.uid, userId, b.code, limits)).to.deep.equal({ ok: false, reason: 'user-locked' });
      expect(await issue({ userId, limits })).to.deep.equal({ ok: false, reason: 'user-locked', retryAfterSeconds: 900 });
      const other = id('user');
      const otherCode = await issued({ userId: other, uid: 'other-signin' });
      expect((await verify('other-signin', other, otherCode.code, limits)).ok, 'another user').to.equal(true);

      h.clock.advance(900_000);
      const fresh = await issued({ userId, uid: 'fresh-signin', limits });
      expect((await verify('fresh-signin', userId, fresh.code, limits)).ok).to.equal(true);
    });

    it("answers expired after the code's lifetime without counting, and a resend still works", async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId, limits: { ...LIMITS, ttlSeconds: 600 } });
      h.clock.advance(599_999);
      expect(await verify(uid, userId, otherThan(r.code))).to.deep.equal({ ok: false, reason: 'wrong', attemptsLeft: 4 });
      h.clock.advance(1);
      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: false, reason: 'expired' });
      expect((await store.current('signin', uid))?.attempts).to.equal(1);
      const again = await issued({ uid, userId });
      expect((await verify(uid, userId, again.code)).ok).to.equal(true);
    });

    it('never matches a code for another user, another sign-in or another purpose', async () => {
      const [uidA, userA, uidB, userB] = [id('uid'), id('user'), id('uid'), id('user')];
      const a = await issued({ uid: uidA, userId: userA });
      const b = await issued({ uid: uidB, userId: userB });
      if (a.code !== b.code) expect((await verify(uidB, userB, a.code)) as object).to.deep.include({ reason: 'wrong' });
      expect(await verify(uidA, userB, a.code)).to.deep.include({ reason: 'wrong' });
      expect(await store.verify({ purpose: 'enroll', uid: uidA, userId: userA, code: a.code, limits: LIMITS })).to.deep.equal({ ok: false, reason: 'none' });
      expect(await store.current('enroll', uidA)).to.equal(undefined);
      expect((await verify(uidA, userA, a.code)).ok).to.equal(true);
    });

    it('cancels a challenge', async () => {
      const [uid, userId] = [id('uid'), id('user')];
      const r = await issued({ uid, userId });
      await store.cancel('signin', uid);
      expect(await verify(uid, userId, r.code)).to.deep.equal({ ok: false, reason: 'none' });
    });

    it('rejects malformed input before touching the store', async () => {
      for (const over of [
        { destination: '0049 30 1234' },
        { channel: 'email' as const, destination: 'nobody' },
        { purpose: 'sign:in' },
        { uid: '' },
        { limits: { ...LIMITS, maxAttempts: 0 } },
        { ip: 'a b' },
        { prefix: '1415' },
        { limits: { ...LIMITS, perIpPerHour: 0 } },
      ]) {
        let error: unknown;
        await issue(over).catch((e: unknown) => {
          error = e;
        });
        expect(error, JSON.stringify(over)).to.be.instanceOf(TypeError);
      }
    });

    if (name === 'Redis') {
      it('stores codes only as an HMAC and phone numbers only in the challenge', async () => {
        const userId = id('user');
        const number = phone();
        const codes: string[] = [];
        for (let i = 0; i < 3; i++) {
          const uid = id('uid');
          const r = await issued({ uid, userId, destination: number, tenantId: 'acme' });
          codes.push(r.code);
          await verify(uid, userId, otherThan(r.code));
          h.clock.advance(31_000);
        }
        const stored = await h.dump!();
        // runs of hex characters: a 64-hex digest may contain any six digits by chance, never equal them
        const tokens = new Set(stored.flatMap((s) => s.match(/[0-9a-f]+/gi) ?? []));
        for (const code of codes) expect(tokens.has(code), `code ${code} in clear`).to.equal(false);
        expect(stored.filter((s) => /^[0-9a-f]{64}$/.test(s))).to.have.length(3);
        const keyNames = stored.filter((s) => s.startsWith('lktest:'));
        expect(keyNames.some((k) => k.includes(number.slice(1)))).to.equal(false);
      });
    }
  });
}

contract('Redis', openRedis);
contract('in process', openMemory);
