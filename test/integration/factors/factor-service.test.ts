import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { createSealedBox } from '../../../src/lib/sealed-box.ts';
import { createTenantService } from '../../../src/accounts/tenants.ts';
import { createUserService, type UserService } from '../../../src/accounts/users.ts';
import { createPasswordHasher } from '../../../src/accounts/password-hasher.ts';
import { createFactorService, type FactorService } from '../../../src/accounts/factors.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { rejection } from '../../support/rejection.ts';

const STEP = 30_000;
const BAD_IDS = ['', 'not-a-uuid', "' or 1=1 --", '00000000-0000-0000-0000-00000000000g', '00000000-0000-0000-0000-000000000000'];
const CODE_FORMAT = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

for (const kind of BACKENDS) {
  describe(`second factors: storage and verification (${kind})`, () => {
    let backend: Backend;
    let db: Database;
    let replicaDb: Database;
    let factors: FactorService;
    // a second service on its own connection pool, standing in for another replica
    let replica: FactorService;
    let users: UserService;
    let tenantId: string;
    const box = createSealedBox(randomBytes(32));
    // mid-step, so one step forward or back stays clear of the boundary
    let nowMs = Date.UTC(2026, 10, 21, 9, 0, 15);
    const clock = { now: () => nowMs };
    let userCount = 0;

    const newUser = async () => {
      userCount += 1;
      return users.create({ tenantId, email: `user${userCount}@example.com`, password: 'correct horse battery staple' });
    };
    const enrollTotp = async (userId: string) => {
      const enrollment = await factors.startTotp(userId, { accountName: 'someone@example.com' });
      expect(await factors.confirmTotp(userId, enrollment.factorId, await totpCodeAt(enrollment.secret, nowMs))).to.equal(true);
      nowMs += STEP; // the confirming code's step is spent
      return enrollment;
    };

    before(async () => {
      backend = await createBackend(kind);
      const open = () => openDatabase({ ...(backend.env.DATABASE_URL ? { databaseUrl: backend.env.DATABASE_URL } : {}), dataDir: backend.env.DATA_DIR! });
      db = await open();
      await db.migrate();
      replicaDb = await open();
      factors = createFactorService({ db, box, clock });
      replica = createFactorService({ db: replicaDb, box, clock });
      const hasher = await createPasswordHasher({ memoryKiB: 7168, iterations: 1, parallelism: 1 });
      users = createUserService({ db, hasher, clock });
      tenantId = (await createTenantService(db).create({ name: 'acme', displayName: 'Acme Mail' })).id;
    });
    after(async () => {
      await replicaDb?.close();
      await db?.close();
      await backend?.dispose();
    });

    it('enrolls TOTP: pending until a first valid code confirms it, and that code is not accepted again', async () => {
      const alice = await newUser();
      const enrollment = await factors.startTotp(alice.id, { accountName: alice.email, issuer: 'Acme Mail' });
      expect(enrollment.secret).to.match(/^[A-Z2-7]{32}$/);
      expect(enrollment.uri).to.equal(`otpauth://totp/Acme%20Mail:${encodeURIComponent(alice.email)}?secret=${enrollment.secret}&issuer=Acme%20Mail`);
      expect(enrollment.qrSvg)
        .to.match(/^<svg /)
        .and.not.include('<script');

      const [pending] = await factors.list(alice.id);
      expect(pending).to.include({ id: enrollment.factorId, type: 'totp', label: 'Authenticator app', confirmedAt: null, preferred: false });
      expect(JSON.stringify(await factors.list(alice.id)))
        .to.not.include(enrollment.secret)
        .and.not.include('v1.');
      expect(await factors.confirmedTypes(alice.id)).to.deep.equal([]);
      expect(await factors.preferredType(alice.id)).to.equal(null);

      const code = await totpCodeAt(enrollment.secret, nowMs);
      expect(await factors.verifyTotp(alice.id, code), 'a pending factor does not sign in').to.equal(false);
      expect(await factors.confirmTotp(alice.id, enrollment.factorId, '000000' === code ? '111111' : '000000')).to.equal(false);
      expect(await factors.confirmTotp(alice.id, enrollment.factorId, 'abc')).to.equal(false);
      expect((await factors.list(alice.id))[0]!.confirmedAt).to.equal(null);

      expect(await factors.confirmTotp(alice.id, enrollment.factorId, code)).to.equal(true);
      const [confirmed] = await factors.list(alice.id);
      expect(confirmed!.confirmedAt!.getTime()).to.equal(nowMs);
      expect(await factors.confirmedTypes(alice.id)).to.deep.equal(['totp']);
      expect(await factors.preferredType(alice.id)).to.equal('totp');
      expect(await factors.verifyTotp(alice.id, code), 'the confirming code is spent').to.equal(false);
      expect((await rejection(factors.confirmTotp(alice.id, enrollment.factorId, code))).status).to.equal(404);

      nowMs += STEP;
      const next = await totpCodeAt(enrollment.secret, nowMs);
      expect(await factors.verifyTotp(alice.id, `${next.slice(0, 3)} ${next.slice(3)}`)).to.equal(true);
      expect(await factors.verifyTotp(alice.id, next), 'same code, same window').to.equal(false);
      nowMs += STEP / 2;
      expect(await factors.verifyTotp(alice.id, next), 'still inside its tolerance window').to.equal(false);
    });

    it('refuses an older step once a newer one was used, and codes beyond the tolerance', async () => {
      const user = await newUser();
      const { secret } = await enrollTotp(user.id);
      const previous = await totpCodeAt(secret, nowMs - STEP);
      const current = await totpCodeAt(secret, nowMs);
      expect(await factors.verifyTotp(user.id, current)).to.equal(true);
      expect(await factors.verifyTotp(user.id, previous)).to.equal(false);
      nowMs += STEP;
      expect(await factors.verifyTotp(user.id, await totpCodeAt(secret, nowMs + 2 * STEP))).to.equal(false);
      expect(await factors.verifyTotp(user.id, await totpCodeAt(secret, nowMs + STEP))).to.equal(true);
    });

    it('accepts a code exactly once when two replicas verify it at the same time', async () => {
      const user = await newUser();
      const { secret } = await enrollTotp(user.id);
      const code = await totpCodeAt(secret, nowMs);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? replica : factors).verifyTotp(user.id, code)));
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('starting TOTP again replaces the older pending enrollment', async () => {
      const user = await newUser();
      const first = await factors.startTotp(user.id, { accountName: user.email });
      const second = await factors.startTotp(user.id, { accountName: user.email, label: 'Phone app' });
      expect(second.secret).to.not.equal(first.secret);
      expect((await factors.list(user.id)).map((f) => [f.id, f.label])).to.deep.equal([[second.factorId, 'Phone app']]);
      expect((await rejection(factors.confirmTotp(user.id, first.factorId, await totpCodeAt(first.secret, nowMs)))).status).to.equal(404);
    });

    it('stores the TOTP secret sealed, never in clear', async () => {
      const user = await newUser();
      const { factorId, secret } = await enrollTotp(user.id);
      const rows = await db.em().getConnection().execute('select * from mfa_factors where id = ?', [factorId]);
      expect(rows).to.have.length(1);
      const raw = JSON.stringify(rows);
      expect(raw).to.not.include(secret).and.not.include(secret.toLowerCase());
      expect(String((rows[0] as { secret_sealed: string }).secret_sealed)).to.match(/^v1\./);
      // sealed for this row: the same ciphertext under another factor id does not open
      expect(() => box.open((rows[0] as { secret_sealed: string }).secret_sealed, 'totp-secret:00000000-0000-4000-8000-000000000000')).to.throw();
    });

    it('keeps email, SMS and voice factors pending until confirmed, with E.164 phone numbers', async () => {
      const user = await newUser();
      const sms = await factors.addPending(user.id, 'sms', { phone: '+1 (415) 555-0123' });
      expect(sms).to.include({ type: 'sms', phone: '+14155550123', confirmedAt: null, label: 'Text message' });
      expect(await factors.confirmedTypes(user.id)).to.deep.equal([]);
      expect((await factors.confirm(user.id, sms.id)).confirmedAt!.getTime()).to.equal(nowMs);
      nowMs += 1_000;
      const email = await factors.confirm(user.id, (await factors.addPending(user.id, 'email', { label: 'Work mail' })).id);
      expect(email).to.include({ type: 'email', phone: null, label: 'Work mail' });
      await factors.addPending(user.id, 'voice', { phone: '+442071838750' });
      expect(await factors.confirmedTypes(user.id)).to.deep.equal(['email', 'sms']);
      expect(await factors.preferredType(user.id), 'the oldest confirmed factor').to.equal('sms');
      await factors.setPreferred(user.id, email.id);
      expect(await factors.preferredType(user.id)).to.equal('email');
      await factors.setPreferred(user.id, sms.id);
      expect((await factors.list(user.id)).filter((f) => f.preferred).map((f) => f.id)).to.deep.equal([sms.id]);
      const voice = (await factors.list(user.id)).find((f) => f.type === 'voice')!;
      expect((await rejection(factors.setPreferred(user.id, voice.id))).status, 'pending factors cannot be preferred').to.equal(404);

      expect((await rejection(factors.addPending(user.id, 'sms', { phone: '+14155550123' }))).status).to.equal(409);
      for (const phone of [undefined, '', '4155550123', '+0123456789', '+1234', '+1234567890123456', '+1415555012x']) {
        expect((await rejection(factors.addPending(user.id, 'voice', phone === undefined ? {} : { phone }))).code, String(phone)).to.equal(
          'factor.invalid_phone',
        );
      }
      expect((await rejection(factors.addPending(user.id, 'email', { phone: '+14155550123' }))).status).to.equal(400);
      expect((await rejection(factors.addPending(user.id, 'totp' as never))).code).to.equal('factor.invalid_type');
      expect((await rejection(factors.addPending(user.id, 'sms', { phone: '+14155550199', label: 'x'.repeat(65) }))).code).to.equal('factor.invalid_label');
      expect((await rejection(factors.confirm(user.id, (await enrollTotp(user.id)).factorId))).status, 'TOTP confirms only by code').to.equal(404);
    });

    it("treats another user's factor as not found", async () => {
      const alice = await newUser();
      const mallory = await newUser();
      const { factorId, secret } = await enrollTotp(alice.id);
      const sms = await factors.addPending(alice.id, 'sms', { phone: '+14155550123' });
      const code = await totpCodeAt(secret, nowMs);
      for (const attempt of [
        () => factors.remove(mallory.id, factorId),
        () => factors.setPreferred(mallory.id, factorId),
        () => factors.confirm(mallory.id, sms.id),
        () => factors.confirmTotp(mallory.id, factorId, code),
      ])
        expect((await rejection(attempt())).status).to.equal(404);
      expect(await factors.verifyTotp(mallory.id, code)).to.equal(false);
      expect(await factors.list(mallory.id)).to.deep.equal([]);
      expect((await factors.list(alice.id)).map((f) => f.id)).to.deep.equal([factorId, sms.id]);
      expect(await factors.verifyTotp(alice.id, code), "mallory's tries did not spend alice's code").to.equal(true);
    });

    it('answers not found (never a server error) for malformed and unknown ids', async () => {
      const user = await newUser();
      const { factorId } = await enrollTotp(user.id);
      for (const bad of BAD_IDS) {
        for (const attempt of [
          () => factors.remove(user.id, bad),
          () => factors.setPreferred(user.id, bad),
          () => factors.confirm(user.id, bad),
          () => factors.confirmTotp(user.id, bad, '123456'),
          () => factors.remove(bad, factorId),
          () => factors.startTotp(bad, { accountName: 'x@example.com' }),
          () => factors.addPending(bad, 'email'),
          () => factors.recoveryCodes.generate(bad, 10),
        ])
          expect((await rejection(attempt())).status, bad).to.equal(404);
        expect(await factors.list(bad)).to.deep.equal([]);
        expect(await factors.confirmedTypes(bad)).to.deep.equal([]);
        expect(await factors.preferredType(bad)).to.equal(null);
        expect(await factors.verifyTotp(bad, '123456')).to.equal(false);
        expect(await factors.recoveryCodes.consume(bad, 'abcde-fghjk')).to.equal(false);
        expect(await factors.recoveryCodes.remaining(bad)).to.equal(0);
        await factors.removeAll(bad);
      }
      expect(await factors.list(user.id)).to.have.length(1);
    });

    it('uses each recovery code once, stores only hashes, and regenerating voids the old ones', async () => {
      const user = await newUser();
      const other = await newUser();
      const codes = await factors.recoveryCodes.generate(user.id, 10);
      expect(codes).to.have.length(10);
      expect(new Set(codes).size).to.equal(10);
      for (const code of codes) expect(code).to.match(CODE_FORMAT);
      expect(await factors.recoveryCodes.remaining(user.id)).to.equal(10);
      const raw = JSON.stringify(await db.em().getConnection().execute('select * from recovery_codes'));
      for (const code of codes) expect(raw).to.not.include(code).and.not.include(code.replace('-', ''));

      expect(await factors.recoveryCodes.consume(other.id, codes[0]!), "another user's code").to.equal(false);
      expect(await factors.recoveryCodes.consume(user.id, codes[0]!)).to.equal(true);
      expect(await factors.recoveryCodes.consume(user.id, codes[0]!)).to.equal(false);
      expect(await factors.recoveryCodes.consume(user.id, ` ${codes[1]!.replace('-', '').toUpperCase()} `), 'typed without the dash').to.equal(true);
      expect(await factors.recoveryCodes.consume(user.id, 'not a code')).to.equal(false);
      expect(await factors.recoveryCodes.remaining(user.id)).to.equal(8);

      const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? replica : factors).recoveryCodes.consume(user.id, codes[2]!)));
      expect(parallel.filter(Boolean)).to.have.length(1);
      expect(await factors.recoveryCodes.remaining(user.id)).to.equal(7);

      const fresh = await factors.recoveryCodes.generate(user.id, 10);
      expect(await factors.recoveryCodes.remaining(user.id)).to.equal(10);
      expect(await factors.recoveryCodes.consume(user.id, codes[3]!), 'an old unused code').to.equal(false);
      expect(await factors.recoveryCodes.consume(user.id, fresh[0]!)).to.equal(true);
      for (const count of [0, -1, 1.5, 21]) {
        expect((await rejection(factors.recoveryCodes.generate(user.id, count))).status).to.equal(400);
      }
      expect(await factors.recoveryCodes.remaining(user.id), 'a refused regeneration keeps the codes').to.equal(9);
    });

    it('removes one factor, or every factor and recovery code of a user', async () => {
      const user = await newUser();
      const { factorId, secret } = await enrollTotp(user.id);
      await factors.confirm(user.id, (await factors.addPending(user.id, 'email')).id);
      await factors.recoveryCodes.generate(user.id, 10);
      await factors.remove(user.id, factorId);
      expect(await factors.verifyTotp(user.id, await totpCodeAt(secret, nowMs))).to.equal(false);
      expect(await factors.confirmedTypes(user.id)).to.deep.equal(['email']);
      expect((await rejection(factors.remove(user.id, factorId))).status).to.equal(404);
      await factors.removeAll(user.id);
      expect(await factors.list(user.id)).to.deep.equal([]);
      expect(await factors.recoveryCodes.remaining(user.id)).to.equal(0);
    });
  });
}
