import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { rejection } from '../../support/rejection.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { createTenantService } from '../../../src/accounts/tenants.ts';
import { createUserService, type User, type UserService } from '../../../src/accounts/users.ts';
import { createPasswordHasher } from '../../../src/accounts/password-hasher.ts';
import { createDeviceService, type DeviceService } from '../../../src/accounts/devices.ts';
import { devicePolicySchema, type DevicePolicy } from '../../../src/policy/tenant-policy.ts';

const DAY = 86_400_000;
const PASSWORD = 'correct horse battery staple';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_WINDOWS_NEWER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const HOME = '203.0.113.7';
const CAFE = '198.51.100.20';
const BAD_IDS = ['', 'not-a-uuid', "' or 1=1 --", '00000000-0000-0000-0000-00000000000g', '00000000-0000-0000-0000-000000000000'];
const policyOf = (overrides: Partial<DevicePolicy> = {}): DevicePolicy => devicePolicySchema.parse(overrides);
const BROWSER = policyOf();
const BROWSER_IP = policyOf({ binding: 'browser+ip' });

for (const kind of BACKENDS) {
  describe(`remembered devices: storage and recognition (${kind})`, () => {
    let backend: Backend;
    let db: Database;
    let devices: DeviceService;
    let users: UserService;
    let tenantId: string;
    let otherTenantId: string;
    let nowMs = Date.UTC(2026, 10, 21, 9, 0, 0);
    const clock = { now: () => nowMs };
    let userCount = 0;

    const newUser = async (tenant = tenantId): Promise<User> => {
      userCount += 1;
      return users.create({ tenantId: tenant, email: `user${userCount}@example.com`, password: PASSWORD });
    };
    const remember = (user: User, extra: { userAgent?: string; ip?: string; name?: string; policy?: DevicePolicy; replacing?: string } = {}) =>
      devices.remember({ userId: user.id, tenantId: user.tenantId, userAgent: FIREFOX_WINDOWS, ip: HOME, policy: BROWSER, ...extra });
    const recognise = (user: User, token: string | undefined, extra: { userAgent?: string; ip?: string; policy?: DevicePolicy } = {}) =>
      devices.recognise({ token, userId: user.id, tenantId: user.tenantId, userAgent: FIREFOX_WINDOWS, ip: HOME, policy: BROWSER, ...extra });
    const storedRows = async () => (await db.em().getConnection().execute('select * from trusted_devices')) as Record<string, unknown>[];

    before(async () => {
      backend = await createBackend(kind);
      db = await openDatabase({ ...(backend.env.DATABASE_URL ? { databaseUrl: backend.env.DATABASE_URL } : {}), dataDir: backend.env.DATA_DIR! });
      await db.migrate();
      devices = createDeviceService({ db, clock });
      const hasher = await createPasswordHasher({ memoryKiB: 7168, iterations: 1, parallelism: 1 });
      users = createUserService({ db, hasher, clock });
      const tenants = createTenantService(db);
      tenantId = (await tenants.create({ name: 'acme', displayName: 'Acme Mail' })).id;
      otherTenantId = (await tenants.create({ name: 'globex', displayName: 'Globex' })).id;
    });
    after(async () => {
      await db?.close();
      await backend?.dispose();
    });

    it('remembers a browser with a fresh 256-bit token, a name from its user agent and the trust period', async () => {
      const alice = await newUser();
      const { token, device, maxAgeSeconds } = await remember(alice);
      expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(maxAgeSeconds).to.equal(14 * 86_400);
      expect(device).to.deep.include({ name: 'Firefox on Windows', family: 'Firefox', os: 'Windows', lastIp: HOME, boundIp: null });
      expect(device.createdAt.getTime()).to.equal(nowMs);
      expect(device.lastUsedAt.getTime()).to.equal(nowMs);
      expect(device.expiresAt.getTime()).to.equal(nowMs + 14 * DAY);
      expect(device).to.not.have.property('tokenHash');

      const second = await remember(alice, { name: '  Home\tlaptop  ' });
      expect(second.token).to.not.equal(token);
      expect(second.device.name).to.equal('Home laptop');
    });

    it('recognises its own device from any address with the browser binding, and records the use', async () => {
      const alice = await newUser();
      const { token, device } = await remember(alice);
      nowMs += 3 * DAY;
      const seen = await recognise(alice, token, { ip: CAFE, userAgent: FIREFOX_WINDOWS_NEWER });
      expect(seen.reason).to.equal('ok');
      expect(seen.device).to.deep.include({ id: device.id, lastIp: CAFE, family: 'Firefox', os: 'Windows' });
      expect(seen.device!.lastUsedAt.getTime()).to.equal(nowMs);
      const [listed] = await devices.list(alice.id);
      expect(listed!.lastIp).to.equal(CAFE);
      expect(listed!.lastUsedAt.getTime()).to.equal(nowMs);
      expect(listed!.expiresAt.getTime(), 'use does not extend the trust period').to.equal(device.expiresAt.getTime());
    });

    it('stores only the SHA-256 of the token, never the token itself', async () => {
      const alice = await newUser();
      const { token, device } = await remember(alice);
      const row = (await storedRows()).find((r) => r.id === device.id)!;
      expect(row.token_hash).to.equal(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(await storedRows())).to.not.include(token);
      expect(JSON.stringify(await devices.list(alice.id)))
        .to.not.include(token)
        .and.not.include(row.token_hash as string);
    });

    it('counts no cookie, a forged or malformed one as no device', async () => {
      const alice = await newUser();
      await remember(alice);
      expect(await recognise(alice, undefined)).to.deep.equal({ reason: 'no-cookie' });
      expect(await recognise(alice, '')).to.deep.equal({ reason: 'no-cookie' });
      for (const forged of [randomBytes(32).toString('base64url'), 'abc', 'x'.repeat(4000), "' or 1=1 --", `${randomBytes(32).toString('base64url')}=`]) {
        expect(await recognise(alice, forged), forged.slice(0, 20)).to.deep.equal({ reason: 'unknown' });
      }
    });

    it("counts another user's device as no device, in the same tenant or another", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const carol = await newUser(otherTenantId);
      const { token } = await remember(alice);
      const before = (await devices.list(alice.id))[0]!;
      nowMs += 60_000;
      expect(await recognise(bob, token)).to.deep.equal({ reason: 'other-user' });
      expect(await recognise(carol, token)).to.deep.equal({ reason: 'other-user' });
      expect(
        await devices.recognise({ token, userId: alice.id, tenantId: otherTenantId, userAgent: FIREFOX_WINDOWS, ip: HOME, policy: BROWSER }),
      ).to.deep.equal({ reason: 'other-user' });
      expect((await devices.list(alice.id))[0]!.lastUsedAt.getTime(), 'a refused cookie records no use').to.equal(before.lastUsedAt.getTime());
    });

    it('stops recognising a device at the end of its trust period, or sooner when the tenant shortens it', async () => {
      const alice = await newUser();
      const { token } = await remember(alice);
      nowMs += 14 * DAY - 1;
      expect((await recognise(alice, token)).reason).to.equal('ok');
      expect((await recognise(alice, token, { policy: policyOf({ trustDays: 7 }) })).reason).to.equal('expired');
      nowMs += 1;
      expect(await recognise(alice, token)).to.deep.equal({ reason: 'expired' });
      expect(await devices.list(alice.id), 'an expired device is no longer listed').to.deep.equal([]);
    });

    it('counts a cookie seen in another browser family or OS as no device; a browser update is the same device', async () => {
      const alice = await newUser();
      const { token } = await remember(alice, { userAgent: CHROME_WINDOWS });
      expect(await recognise(alice, token, { userAgent: FIREFOX_WINDOWS })).to.deep.equal({ reason: 'ua-mismatch' });
      const firefox = await remember(alice, { userAgent: FIREFOX_WINDOWS });
      expect((await recognise(alice, firefox.token, { userAgent: FIREFOX_WINDOWS_NEWER })).reason).to.equal('ok');
      expect((await recognise(alice, firefox.token, { userAgent: FIREFOX_LINUX })).reason).to.equal('ua-mismatch');
      expect((await recognise(alice, firefox.token, { userAgent: undefined })).reason).to.equal('ua-mismatch');
    });

    it('with the browser+IP binding, recognises the device only from the address it was remembered at', async () => {
      const alice = await newUser();
      const { token, device } = await remember(alice, { policy: BROWSER_IP });
      expect(device.boundIp).to.equal(HOME);
      expect((await recognise(alice, token, { policy: BROWSER_IP })).reason).to.equal('ok');
      expect((await recognise(alice, token, { policy: BROWSER_IP, ip: `::ffff:${HOME}` })).reason, 'IPv4-mapped form').to.equal('ok');
      expect(await recognise(alice, token, { policy: BROWSER_IP, ip: CAFE })).to.deep.equal({ reason: 'ip-mismatch' });
      expect(await recognise(alice, token, { policy: BROWSER_IP, ip: 'garbage' })).to.deep.equal({ reason: 'ip-mismatch' });
      expect((await devices.list(alice.id))[0]!.lastIp, 'a refused address is not recorded').to.equal(HOME);
      expect((await recognise(alice, token, { policy: BROWSER, ip: CAFE })).reason, 'the tenant relaxed the binding').to.equal('ok');
    });

    it('a device remembered under the browser binding is not trusted once the tenant binds to the IP too', async () => {
      const alice = await newUser();
      const { token } = await remember(alice, { policy: BROWSER });
      expect(await recognise(alice, token, { policy: BROWSER_IP })).to.deep.equal({ reason: 'ip-mismatch' });
    });

    it('remembering the new location replaces the device the browser held', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const home = await remember(alice, { policy: BROWSER_IP });
      const bobs = await remember(bob);
      const cafe = await remember(alice, { policy: BROWSER_IP, ip: CAFE, replacing: home.token });
      expect((await devices.list(alice.id)).map((d) => d.id)).to.deep.equal([cafe.device.id]);
      expect(await recognise(alice, home.token, { policy: BROWSER_IP })).to.deep.equal({ reason: 'unknown' });
      expect((await recognise(alice, cafe.token, { policy: BROWSER_IP, ip: CAFE })).reason).to.equal('ok');
      await remember(alice, { replacing: bobs.token });
      expect((await recognise(bob, bobs.token)).reason, "another user's cookie is not replaced").to.equal('ok');
    });

    it("lists the user's devices with name, browser, OS, last address, last use and expiry, most recent first", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const first = await remember(alice, { userAgent: CHROME_WINDOWS, name: 'Work PC' });
      nowMs += 60_000;
      const second = await remember(alice, { userAgent: FIREFOX_LINUX, ip: CAFE });
      await remember(bob);
      const listed = await devices.list(alice.id);
      expect(listed.map((d) => d.id)).to.deep.equal([second.device.id, first.device.id]);
      expect(listed[1]).to.deep.equal({
        id: first.device.id,
        name: 'Work PC',
        family: 'Chrome',
        os: 'Windows',
        lastIp: HOME,
        boundIp: null,
        lastUsedAt: new Date(nowMs - 60_000),
        createdAt: new Date(nowMs - 60_000),
        expiresAt: new Date(nowMs - 60_000 + 14 * DAY),
      });
      expect(listed[0]).to.deep.include({ name: 'Firefox on Linux', family: 'Firefox', os: 'Linux', lastIp: CAFE });
      nowMs += 60_000;
      expect((await recognise(alice, first.token, { userAgent: CHROME_WINDOWS })).reason).to.equal('ok');
      expect(
        (await devices.list(alice.id)).map((d) => d.id),
        'a use moves it first',
      ).to.deep.equal([first.device.id, second.device.id]);
    });

    it('renames a device; refuses an empty or long name', async () => {
      const alice = await newUser();
      const { device } = await remember(alice);
      expect((await devices.rename(alice.id, device.id, ' Home\nlaptop ')).name).to.equal('Home laptop');
      expect((await devices.list(alice.id))[0]!.name).to.equal('Home laptop');
      for (const name of ['', '   ', 'x'.repeat(65), 42 as unknown as string]) {
        const err = await rejection(devices.rename(alice.id, device.id, name));
        expect(err).to.include({ status: 400, code: 'device.invalid_name' });
      }
      expect(await rejection(remember(alice, { name: 'x'.repeat(65) }))).to.include({ status: 400, code: 'device.invalid_name' });
    });

    it('revokes one device or all of them; the revoked cookie is then unknown', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const one = await remember(alice);
      const two = await remember(alice, { userAgent: CHROME_WINDOWS });
      const three = await remember(alice, { userAgent: FIREFOX_LINUX });
      const bobs = await remember(bob);
      await devices.revoke(alice.id, one.device.id);
      expect(await recognise(alice, one.token)).to.deep.equal({ reason: 'unknown' });
      expect((await rejection(devices.revoke(alice.id, one.device.id))).status, 'revoked twice').to.equal(404);
      expect(await devices.revokeAll(alice.id)).to.equal(2);
      expect(await recognise(alice, two.token, { userAgent: CHROME_WINDOWS })).to.deep.equal({ reason: 'unknown' });
      expect(await recognise(alice, three.token, { userAgent: FIREFOX_LINUX })).to.deep.equal({ reason: 'unknown' });
      expect(await devices.list(alice.id)).to.deep.equal([]);
      expect(await devices.revokeAll(alice.id)).to.equal(0);
      expect((await recognise(bob, bobs.token)).reason, "other users' devices stay").to.equal('ok');
    });

    it("answers 404, never 500, for bad ids and for another user's device", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const { device } = await remember(alice);
      for (const id of [...BAD_IDS, device.id]) {
        for (const err of [await rejection(devices.rename(bob.id, id, 'Mine')), await rejection(devices.revoke(bob.id, id))]) {
          expect(err, id).to.include({ status: 404, code: 'device.not_found' });
        }
      }
      for (const userId of BAD_IDS) {
        expect(await devices.list(userId)).to.deep.equal([]);
        expect(await devices.revokeAll(userId)).to.equal(0);
        expect(await rejection(devices.rename(userId, device.id, 'Mine'))).to.include({ status: 404 });
        expect(await rejection(devices.remember({ userId, tenantId, userAgent: FIREFOX_WINDOWS, ip: HOME, policy: BROWSER }))).to.include({
          status: 404,
          code: 'user.not_found',
        });
        expect(await recognise({ ...alice, id: userId }, randomBytes(32).toString('base64url'))).to.deep.equal({ reason: 'unknown' });
      }
      const wrongTenant = await rejection(
        devices.remember({ userId: alice.id, tenantId: otherTenantId, userAgent: FIREFOX_WINDOWS, ip: HOME, policy: BROWSER }),
      );
      expect(wrongTenant).to.include({ status: 404, code: 'user.not_found' });
      expect(await rejection(remember(alice, { ip: 'not an address' }))).to.include({ status: 400, code: 'device.invalid_ip' });
      expect((await devices.list(alice.id)).map((d) => d.name)).to.deep.equal(['Firefox on Windows']);
    });

    it('keeps at most 50 devices a user, dropping the least recently used', async () => {
      const alice = await newUser();
      const first = await remember(alice);
      for (let i = 0; i < 50; i += 1) {
        nowMs += 1000;
        await remember(alice, { name: `Device ${i}` });
      }
      const listed = await devices.list(alice.id);
      expect(listed).to.have.length(50);
      expect(listed.map((d) => d.id)).to.not.include(first.device.id);
      expect(await recognise(alice, first.token)).to.deep.equal({ reason: 'unknown' });
    });

    it('records when the user last completed a second factor; the password check reports it', async () => {
      const alice = await newUser();
      const before = await users.verifyPassword(tenantId, alice.email, PASSWORD);
      expect(before.ok && before.user.lastSecondFactorAt).to.equal(null);
      await users.recordSecondFactor(alice.id);
      const after = await users.verifyPassword(tenantId, alice.email, PASSWORD);
      expect(after.ok && after.user.lastSecondFactorAt?.getTime()).to.equal(nowMs);
      for (const id of BAD_IDS) expect(await rejection(users.recordSecondFactor(id))).to.include({ status: 404, code: 'user.not_found' });
    });

    it('deleting the user deletes their devices', async () => {
      const alice = await newUser();
      const { device } = await remember(alice);
      await db.em().getConnection().execute(`delete from users where id = '${alice.id}'`);
      expect((await storedRows()).map((r) => r.id)).to.not.include(device.id);
    });
  });
}
