import { expect } from 'chai';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createTenant, createUser, setPolicy } from '../../support/accounts.ts';
import { outbox, type OutboxMessage } from '../../support/outbox.ts';
import { createContainer, type Container } from '../../../src/app/container.ts';
import type { InactivityReport } from '../../../src/accounts/lifecycle.ts';
import { PasswordCredentialEntity, UserEntity } from '../../../src/store/entities/index.ts';
import { formatInstant } from '../../../src/lib/date-format.ts';

const DAY = 86_400_000;
const PASSWORD = 'a long enough passphrase for the warnings';
const EXPIRY = 'Your password expires soon';
const EXPIRY_DE = 'Ihr Passwort läuft bald ab';
const INACTIVITY = 'Your account will be deactivated soon';

/**
 * The daily job's warnings: a password about to expire (password.expiryWarningDays, 14 and 3 days
 * by default) and a deactivation for inactivity coming (lifecycle.inactivityWarningDays), each
 * sent once per deadline, however often the job runs and however many run at the same moment.
 */
for (const kind of BACKENDS) {
  describe(`deadline warnings of the daily job (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let c: Container;
    const clock = movableClock();
    let tenants = 0;

    before(async () => {
      ({ f } = await startFixture(kind, { clock }));
      c = f.server.container;
    });
    after(() => disposeFixture(f));

    /** a tenant of its own, so that the counts are this test's */
    const newTenant = async (policy: Parameters<typeof setPolicy>[1]) => {
      tenants += 1;
      const name = `${f.tenant}-w${tenants}`;
      await createTenant(f, { name, displayName: `Warned ${tenants}` });
      await setPolicy(f, policy, name);
      return name;
    };
    const counts = (report: InactivityReport, tenant: string) => {
      const row = report.tenants.find((t) => t.tenantName === tenant)!;
      return { deactivated: row.deactivated, expiryWarnings: row.expiryWarnings, inactivityWarnings: row.inactivityWarnings };
    };
    const mails = async (to: string, subject: string): Promise<OutboxMessage[]> => (await outbox(f.server.url, to)).filter((m) => m.subject === subject);
    const dateOf = (deadline: number, locale = 'en') => formatInstant(new Date(deadline), locale, {}, 'date');

    it('warns 14 and 3 days before a password expires, once each, in the email language; running again sends nothing', async () => {
      const tenant = await newTenant({ password: { maxAgeDays: 90 }, lifecycle: { inactivityDays: 0 } });
      const created = clock.now();
      const ann = await createUser(f, { tenant, email: 'ann@example.com', password: PASSWORD, firstName: 'Ann' });
      const deadline = (await c.db.em().findOneOrFail(PasswordCredentialEntity, { user: ann.id })).changedAt.getTime() + 90 * DAY;
      const dirk = await createUser(f, { tenant, email: 'dirk@example.com', password: PASSWORD, firstName: 'Dirk' });
      await c.db.em().nativeUpdate(UserEntity, { id: dirk.id }, { emailLocale: 'de' });
      const job = (days: number) => c.lifecycle.runInactivityJob({ now: created + days * DAY });

      expect(counts(await job(75), tenant), '15 days before').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      const first = await job(77);
      expect(counts(first, tenant), '13 days before').to.deep.equal({ deactivated: 0, expiryWarnings: 2, inactivityWarnings: 0 });
      expect(first.expiryWarnings).to.be.at.least(2);
      expect(counts(await job(77), tenant), 'the same day again').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(counts(await job(80), tenant), 'a later day, same warning').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });

      const [mail, ...more] = await mails('ann@example.com', EXPIRY);
      expect(more).to.deep.equal([]);
      expect(mail!.text).to.include(`Hello Ann,\n\nThe password of your Warned ${tenants} account expires on ${dateOf(deadline)}.`);
      expect(mail!.text).to.include(`${f.server.url}/account/sign-in?tenant=${tenant}&return=security`);
      const german = await mails('dirk@example.com', EXPIRY_DE);
      expect(german).to.have.length(1);
      expect(german[0]!.text).to.include(`Das Passwort Ihres Kontos bei Warned ${tenants} läuft am ${dateOf(deadline, 'de')} ab.`);

      expect(counts(await job(88), tenant), '2 days before: the 3-day warning').to.deep.equal({ deactivated: 0, expiryWarnings: 2, inactivityWarnings: 0 });
      expect(counts(await job(88), tenant)).to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(counts(await job(91), tenant), 'expired: nothing more').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(await mails('ann@example.com', EXPIRY)).to.have.length(2);

      // a new password is a new deadline
      await c.passwords.save('the next passphrase ann chose in time', ann.id);
      const changed = clock.now();
      expect(counts(await c.lifecycle.runInactivityJob({ now: changed + 80 * DAY }), tenant)).to.deep.equal({
        deactivated: 0,
        expiryWarnings: 1,
        inactivityWarnings: 0,
      });
      expect(await mails('ann@example.com', EXPIRY)).to.have.length(3);
    });

    it('sends no password warning when the tenant has no maximum age, none of its warning days, or the user must change it anyway', async () => {
      const never = await newTenant({ lifecycle: { inactivityDays: 0 } });
      const silent = await newTenant({ password: { maxAgeDays: 30, expiryWarningDays: [] }, lifecycle: { inactivityDays: 0 } });
      const due = await newTenant({ password: { maxAgeDays: 30 }, lifecycle: { inactivityDays: 0 } });
      const created = clock.now();
      await createUser(f, { tenant: never, email: 'nina@example.com', password: PASSWORD });
      await createUser(f, { tenant: silent, email: 'sid@example.com', password: PASSWORD });
      const forced = await createUser(f, { tenant: due, email: 'fred@example.com', password: PASSWORD });
      await c.passwords.forceChange(forced.id);
      const report = await c.lifecycle.runInactivityJob({ now: created + 28 * DAY });
      for (const tenant of [never, silent, due])
        expect(counts(report, tenant), tenant).to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      for (const email of ['nina@example.com', 'sid@example.com', 'fred@example.com']) expect(await mails(email, EXPIRY), email).to.deep.equal([]);
    });

    it('warns once before a deactivation for inactivity, and not after it', async () => {
      const tenant = await newTenant({ lifecycle: { inactivityDays: 30, inactivityWarningDays: 7 } });
      const quiet = await newTenant({ lifecycle: { inactivityDays: 30, inactivityWarningDays: 0 } });
      const created = clock.now();
      const ivan = await createUser(f, { tenant, email: 'ivan@example.com', password: PASSWORD, firstName: 'Ivan' });
      await createUser(f, { tenant: quiet, email: 'quinn@example.com', password: PASSWORD });
      const deadline = (await c.db.em().findOneOrFail(UserEntity, { id: ivan.id })).createdAt.getTime() + 30 * DAY;
      const job = (days: number) => c.lifecycle.runInactivityJob({ now: created + days * DAY });

      expect(counts(await job(22), tenant), '8 days before').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(counts(await job(24), tenant), '6 days before').to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 1 });
      expect(counts(await job(24), tenant)).to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(counts(await job(29), tenant)).to.deep.equal({ deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 });
      const [mail, ...more] = await mails('ivan@example.com', INACTIVITY);
      expect(more).to.deep.equal([]);
      expect(mail!.text).to.include(
        `Your Warned ${tenants - 1} account has not been used for a while: it will be deactivated on ${dateOf(deadline)} unless you sign in before then.`,
      );
      expect(mail!.text).to.include(`${f.server.url}/account/sign-in?tenant=${tenant}&return=overview`);

      const passed = await job(31);
      expect(counts(passed, tenant), 'the deadline passed').to.deep.equal({ deactivated: 1, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(counts(passed, quiet), 'no warning asked for').to.deep.equal({ deactivated: 1, expiryWarnings: 0, inactivityWarnings: 0 });
      expect(await mails('ivan@example.com', INACTIVITY)).to.have.length(1);
      expect(await mails('quinn@example.com', INACTIVITY)).to.deep.equal([]);
    });

    it(`sends each warning once when two job runs${kind === 'postgres' ? ', of two replicas,' : ''} find it due at the same moment`, async () => {
      const tenant = await newTenant({ password: { maxAgeDays: 60 }, lifecycle: { inactivityDays: 60, inactivityWarningDays: 14 } });
      const created = clock.now();
      const emails = ['pia@example.com', 'pat@example.com', 'pol@example.com'];
      for (const email of emails) await createUser(f, { tenant, email, password: PASSWORD });
      // the same day is 10 days before both deadlines: one password warning and one inactivity warning each
      const other = kind === 'postgres' ? await createContainer(c.settings, { clock }) : c;
      try {
        const now = created + 50 * DAY;
        const reports = await Promise.all([c.lifecycle.runInactivityJob({ now }), other.lifecycle.runInactivityJob({ now })]);
        const sum = (key: 'expiryWarnings' | 'inactivityWarnings') => reports.reduce((n, r) => n + counts(r, tenant)[key], 0);
        expect({ expiry: sum('expiryWarnings'), inactivity: sum('inactivityWarnings') }).to.deep.equal({ expiry: 3, inactivity: 3 });
      } finally {
        if (other !== c) await other.close();
      }
      for (const email of emails) {
        expect(await mails(email, EXPIRY), email).to.have.length(1);
        expect(await mails(email, INACTIVITY), email).to.have.length(1);
      }
    });
  });
}
