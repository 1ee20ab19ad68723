import { expect } from 'chai';
import { createBackend, type Backend } from '../../support/backends.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { OutboxMessageEntity } from '../../../src/store/entities/index.ts';
import { createMailer } from '../../../src/accounts/mailer.ts';
import { createLogger } from '../../../src/lib/logger.ts';
import { systemClock } from '../../../src/lib/clock.ts';

describe('email delivery over SMTP', () => {
  let sink: SmtpSink;
  let backend: Backend;
  let db: Database;
  before(async () => {
    sink = await startSmtpSink();
    backend = await createBackend('embedded');
    db = await openDatabase({ dataDir: backend.env.DATA_DIR! });
  });
  after(async () => {
    await sink?.close();
    await db?.close();
    await backend?.dispose();
  });

  it('sends through nodemailer to a real SMTP server, with subject, text and HTML', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'Latchkey <no-reply@login.example.test>', db, clock: systemClock, logger: createLogger('silent') });
    expect(mailer.transport).to.equal('smtp');
    const since = Date.now();
    await mailer.send({
      to: 'Carol@Example.com',
      subject: 'Your sign-in code',
      text: 'Your code is 274019. It expires in 10 minutes.',
      html: '<p>Your code is <strong>274019</strong>. It expires in 10 minutes.</p>',
    });

    const mail = await sink.waitForMail('carol@example.COM', 'Your sign-in code', since);
    expect(mail.to).to.deep.equal(['carol@example.com']);
    expect(mail.from).to.equal('"Latchkey" <no-reply@login.example.test>');
    expect(mail.text?.trim()).to.equal('Your code is 274019. It expires in 10 minutes.');
    expect(mail.html).to.include('<strong>274019</strong>');
    expect(mail.date.getTime()).to.be.within(since - 1000, Date.now() + 1000);
    expect(await db.em().count(OutboxMessageEntity, {}), 'nothing goes to the dev outbox').to.equal(0);
  });

  it('waits only for mail that arrived after the given time', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'no-reply@login.example.test', db, clock: systemClock, logger: createLogger('silent') });
    await mailer.send({ to: 'dave@example.com', subject: 'Hello', text: 'first' });
    const later = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    await mailer.send({ to: 'dave@example.com', subject: 'Hello', text: 'second' });
    expect((await sink.waitForMail('dave@example.com', 'Hello', later)).text?.trim()).to.equal('second');
  });
});
