import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { openSignIn } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { scrape, metricValue } from '../../support/prometheus.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';

const SUBJECT = 'Reset your password';
const HOUR = 3_600_000;

for (const kind of BACKENDS) {
  describe(`forgot password: hourly limits per address and per IP (${kind})`, function () {
    this.timeout(60_000);
    let sink: SmtpSink;
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId: string;
    const clock = movableClock();
    before(async () => {
      sink = await startSmtpSink();
      // each story sends from an address of its own through X-Forwarded-For, so their IP counts stay apart
      ({ f, config } = await startFixture(kind, { clock, env: { SMTP_URL: sink.url, TRUST_PROXY: '127.0.0.1/32,::1' } }));
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
    });
    after(async () => {
      await disposeFixture(f);
      await sink?.close();
    });

    const newUser = async (name: string) => {
      const email = `${name}@example.com`;
      const { id } = await f.server.container.users.create({ tenantId, email, password: `the passphrase of ${name} 2024`, firstName: name });
      return { id, email };
    };

    /** the forgot-password form of a sign-in from `ip`: ask(email) posts it and returns the answer */
    const forgotFrom = async (ip: string) => {
      const browser = new Browser(f.server.url);
      browser.headers['x-forwarded-for'] = ip;
      const { page } = await openSignIn(config, f.client, browser);
      const form = findForm((await browser.navigate(/href="([^"]*\/forgot)"/.exec(page.html)![1]!)).html, '/forgot');
      return async (email: string) => {
        const { res, html } = await browser.navigate(form.action, { form: { ...form.fields, email } });
        return { status: res.status, html };
      };
    };
    /** the page without what differs between two forms (hidden values such as the CSRF token) */
    const comparable = (answer: { status: number; html: string }) => ({ status: answer.status, html: answer.html.replace(/value="[^"]*"/g, '') });
    const events = (userId: string, action: string) => f.server.container.db.em().find(AuditEventEntity, { tenantId, userId, action });
    const limitedCount = async () => metricValue(await scrape(f.server.url), 'latchkey_security_events_total', { action: 'password.reset_limited' });
    const resetMails = (email: string) => sink.messages.filter((m) => m.to.includes(email) && m.subject === SUBJECT);

    it('sends 3 emails for 20 requests for one address, with 20 identical answers, and a 4th an hour later', async () => {
      const user = await newUser('flood');
      const ask = await forgotFrom('203.0.113.1');
      const limitedBefore = await limitedCount();

      const answers = [];
      for (let i = 0; i < 20; i += 1) answers.push(await ask(user.email));
      const unknown = await ask('nobody-here@example.com');

      expect(answers[0]!.status).to.equal(200);
      expect(answers[0]!.html).to.include('If an account exists for that address');
      for (const answer of [...answers, unknown]) expect(comparable(answer)).to.deep.equal(comparable(answers[0]!));
      expect(await events(user.id, 'password.reset_requested')).to.have.length(3);
      const limited = await events(user.id, 'password.reset_limited');
      expect(limited.map((e) => e.details)).to.deep.equal(Array(17).fill({ limit: 'address' }));
      expect(JSON.stringify(limited), 'the refusal is recorded without the address').to.not.include(user.email);
      expect((await limitedCount()) - limitedBefore).to.equal(17);
      await sink.waitForMails(user.email, SUBJECT, 3);

      clock.travel(HOUR + 60_000);
      try {
        await (await forgotFrom('203.0.113.1'))(user.email);
        await sink.waitForMails(user.email, SUBJECT, 4);
      } finally {
        clock.travel(0);
      }
      // the mail of the hour later is the last one: the 17 refused requests sent nothing
      expect(resetMails(user.email)).to.have.length(4);
    });

    it('stops one IP after 20 requests across many addresses, while the address still gets mail from elsewhere', async () => {
      const user = await newUser('spread');
      const ask = await forgotFrom('203.0.113.2');
      const admitted = [];
      for (let i = 0; i < 20; i += 1) admitted.push(await ask(`visitor-${i}@example.com`));

      const refused = await ask(user.email);
      for (const answer of admitted) expect(comparable(answer)).to.deep.equal(comparable(refused));
      expect((await events(user.id, 'password.reset_limited')).map((e) => [e.details, e.ip])).to.deep.equal([[{ limit: 'ip' }, '203.0.113.2']]);
      expect(await events(user.id, 'password.reset_requested')).to.deep.equal([]);

      const elsewhere = await forgotFrom('198.51.100.7');
      await elsewhere(user.email);
      await sink.waitForMails(user.email, SUBJECT, 1);
      expect(await events(user.id, 'password.reset_requested')).to.have.length(1);
      // the request from elsewhere came after the refused one, and its mail is the only one
      expect(resetMails(user.email)).to.have.length(1);
    });

    it('lets the IP ask again an hour later', async () => {
      const user = await newUser('patient');
      const ask = await forgotFrom('203.0.113.3');
      for (let i = 0; i < 20; i += 1) await ask(`caller-${i}@example.com`);
      await ask(user.email);
      expect((await events(user.id, 'password.reset_limited')).map((e) => e.details)).to.deep.equal([{ limit: 'ip' }]);

      clock.travel(HOUR + 60_000);
      try {
        await (await forgotFrom('203.0.113.3'))(user.email);
        await sink.waitForMails(user.email, SUBJECT, 1);
      } finally {
        clock.travel(0);
      }
      expect(await events(user.id, 'password.reset_requested')).to.have.length(1);
    });
  });
}
