import { expect } from 'chai';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { startTwilioStandIn, type TwilioStandIn } from '../../support/twilio-standin.ts';
import { loadSettings } from '../../../src/config/load.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { OutboxMessageEntity } from '../../../src/store/entities/index.ts';
import { createPhoneSender, type PhoneSender } from '../../../src/factors/delivery/phone.ts';
import type { AppError } from '../../../src/lib/errors.ts';
import { createLogger } from '../../../src/lib/logger.ts';
import { systemClock } from '../../../src/lib/clock.ts';
import { rejection } from '../../support/rejection.ts';

const accountSid = `AC${'5a3f0e91c2d84b67'.repeat(2)}`;
const authToken = '9c1e4f7a2b8d3e6f0a5c9b2d7e4f1a8c';
const from = '+15005550006';

async function openBackend(kind: Backend['kind']): Promise<{ backend: Backend; db: Database }> {
  const backend = await createBackend(kind);
  const db = await openDatabase({ ...(backend.env.DATABASE_URL ? { databaseUrl: backend.env.DATABASE_URL } : {}), dataDir: backend.env.DATA_DIR! });
  await db.migrate();
  return { backend, db };
}

const everythingAbout = (err: AppError) =>
  [err.message, err.stack ?? '', JSON.stringify(err), JSON.stringify(err.details ?? {}), String(err.cause ?? '')].join('\n');

describe('phone delivery through the real twilio SDK', () => {
  let standIn: TwilioStandIn;
  let backend: Backend;
  let db: Database;
  const logs: string[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      logs.push(line);
    },
  });

  const sender = (overrides: Record<string, string> = {}): PhoneSender =>
    createPhoneSender({
      settings: loadSettings({
        NODE_ENV: 'test',
        TWILIO_ACCOUNT_SID: accountSid,
        TWILIO_AUTH_TOKEN: authToken,
        TWILIO_FROM: from,
        TWILIO_API_BASE_URL: standIn.url,
        ...overrides,
      }),
      db,
      clock: systemClock,
      logger,
    });

  before(async () => {
    standIn = await startTwilioStandIn({ accountSid, authToken });
    ({ backend, db } = await openBackend('embedded'));
  });
  after(async () => {
    await standIn?.close();
    await db?.close();
    await backend?.dispose();
  });

  it('sends an SMS through the Messages API and logs the number masked, never the token', async () => {
    const phone = sender();
    expect(phone.transport).to.equal('twilio');
    const since = Date.now();
    await phone.sendSms('+14155550142', 'Your Latchkey code is 482913. It expires in 5 minutes.');

    const sms = await standIn.waitForSms('+14155550142', since);
    expect(sms).to.include({ from, body: 'Your Latchkey code is 482913. It expires in 5 minutes.' });
    expect(sms.sid).to.match(/^SM[0-9a-f]{32}$/);
    expect(standIn.codeFromSms(sms)).to.equal('482913');
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.sid === sms.sid);
    expect(line).to.include({ channel: 'sms', transport: 'twilio', to: '+*********42' });
    expect(logs.join('\n')).not.to.include('4155550142').and.not.include(authToken).and.not.include('482913');
  });

  it('places a call whose inline TwiML reads the code digit by digit, twice', async () => {
    const since = Date.now();
    await sender().placeCall('+442071838750', '305127', 'en-GB');

    const call = await standIn.waitForCall('+442071838750', since);
    expect(call.from).to.equal(from);
    expect(call.sid).to.match(/^CA[0-9a-f]{32}$/);
    expect(standIn.codeFromCall(call)).to.equal('305127');
    expect(call.twiml).to.include('<Say language="en-GB">Your Latchkey code is 3, 0, 5, 1, 2, 7.</Say>');
    expect(call.twiml).to.include('<Say language="en-GB">Again: 3, 0, 5, 1, 2, 7.</Say>');
  });

  it("reads the code in the caller's language with a voice that speaks it", async () => {
    const since = Date.now();
    await sender().placeCall('+4930123456789', '918273', 'de', { first: 'Ihr Latchkey-Code lautet {digits}.', again: 'Noch einmal: {digits}.' });
    const call = await standIn.waitForCall('+4930123456789', since);
    expect(standIn.codeFromCall(call)).to.equal('918273');
    expect(call.twiml).to.include('<Say language="de-DE" voice="Google.de-DE-Standard-A">Ihr Latchkey-Code lautet 9, 1, 8, 2, 7, 3.</Say>');
    expect(call.twiml).to.include('<Say language="de-DE" voice="Google.de-DE-Standard-A">Noch einmal: 9, 1, 8, 2, 7, 3.</Say>');
    // Mandarin is cmn-CN at Twilio
    await sender().placeCall('+8613123456789', '918273', 'zh-CN', { first: '您的 Latchkey 验证码是 {digits}。', again: '再说一遍：{digits}。' });
    expect((await standIn.waitForCall('+8613123456789', since)).twiml).to.include('<Say language="cmn-CN" voice="Google.cmn-CN-Standard-A">');
  });

  it('turns a wrong auth token into a clear error that does not hold the token', async () => {
    const wrongToken = 'e'.repeat(32);
    const before = standIn.messages.length;
    const err = await rejection(sender({ TWILIO_AUTH_TOKEN: wrongToken }).sendSms('+14155550142', 'code 111111'));

    expect(err.code).to.equal('phone.delivery_failed');
    expect(err.message).to.include('HTTP 401').and.include('20003').and.include('Authenticate');
    expect(err.details).to.deep.equal({ twilioStatus: 401, twilioCode: 20003 });
    expect(everythingAbout(err)).not.to.include(wrongToken);
    expect(standIn.messages).to.have.length(before);
  });

  it("reports Twilio's error code and message, with the number masked, when Twilio refuses the 'To' number", async () => {
    standIn.failNext(400, 21211, "The 'To' number +15005550001 is not a valid phone number.");
    const err = await rejection(sender().sendSms('+15005550001', 'code 222222'));

    expect(err.status).to.equal(400);
    expect(err.code).to.equal('phone.number_refused');
    expect(err.message).to.include('21211').and.include('is not a valid phone number').and.include('https://www.twilio.com/docs/errors/21211');
    expect(err.message).to.include('+*********01').and.not.include('5005550001');
    expect(everythingAbout(err)).not.to.include(authToken);
  });

  it('reports a server error of Twilio as a failed delivery', async () => {
    standIn.failNext(503, 20503, 'Service Unavailable');
    const err = await rejection(sender().placeCall('+14155550142', '123456'));
    expect(err).to.include({ status: 502, code: 'phone.delivery_failed' });
    expect(err.message).to.include('call').and.include('HTTP 503').and.include('20503');
  });

  it('says where Twilio could not be reached, without the token', async () => {
    const err = await rejection(sender({ TWILIO_API_BASE_URL: 'http://127.0.0.1:9' }).sendSms('+14155550142', 'code 333333'));
    expect(err.message).to.include('could not be reached at http://127.0.0.1:9').and.include('ECONNREFUSED');
    expect(err.cause).to.equal(undefined);
    expect(everythingAbout(err)).not.to.include(authToken);
  });

  it('puts the path of TWILIO_API_BASE_URL in front of the API path', async () => {
    const err = await rejection(sender({ TWILIO_API_BASE_URL: `${standIn.url}/gateway` }).sendSms('+14155550142', 'code 444444'));
    expect(err.message).to.include(`/gateway/2010-04-01/Accounts/${accountSid}/Messages.json was not found`);
  });

  it('refuses a number that is not E.164 and a code that is not digits before calling Twilio', async () => {
    const sent = standIn.messages.length + standIn.calls.length;
    expect((await rejection(sender().sendSms('0415 555 0142', 'code'))).code).to.equal('phone.invalid_number');
    expect((await rejection(sender().placeCall('+14155550142', '12a456'))).code).to.equal('phone.invalid_code');
    expect((await rejection(sender().sendSms('+14155550142', ' '))).code).to.equal('phone.invalid_message');
    expect(standIn.messages.length + standIn.calls.length).to.equal(sent);
  });
});

for (const kind of BACKENDS) {
  describe(`phone delivery without Twilio (${kind})`, () => {
    let backend: Backend;
    let db: Database;
    const logger = createLogger('silent');
    before(async () => ({ backend, db } = await openBackend(kind)));
    after(async () => {
      await db?.close();
      await backend?.dispose();
    });

    const rowsFor = (recipient: string) => db.em().find(OutboxMessageEntity, { recipient }, { orderBy: { createdAt: 'asc' } });

    it('keeps SMS and calls in the dev outbox outside production', async () => {
      const phone = createPhoneSender({ settings: loadSettings({ NODE_ENV: 'test' }), db, clock: systemClock, logger });
      expect(phone.transport).to.equal('outbox');
      await phone.sendSms('+14155550177', 'Your Latchkey code is 918273.');
      await phone.placeCall('+14155550177', '918273');

      const [sms, call] = await rowsFor('+14155550177');
      expect(sms).to.include({ channel: 'sms', recipient: '+14155550177', subject: 'SMS', text: 'Your Latchkey code is 918273.', html: null });
      expect(call).to.include({ channel: 'voice', recipient: '+14155550177', subject: 'Voice call' });
      expect(call!.text).to.equal('Your Latchkey code is 9, 1, 8, 2, 7, 3. Again: 9, 1, 8, 2, 7, 3.');
    });

    it('has no transport in production without Twilio: sending throws and writes nothing', async () => {
      const phone = createPhoneSender({ settings: loadSettings({ NODE_ENV: 'production' }), db, clock: systemClock, logger });
      expect(phone.transport).to.equal('none');
      expect(await rejection(phone.sendSms('+14155550188', 'code 555555'))).to.include({ status: 503, code: 'phone.unavailable', expose: false });
      expect(await rejection(phone.placeCall('+14155550188', '555555'))).to.include({ code: 'phone.unavailable' });
      expect(await rowsFor('+14155550188')).to.deep.equal([]);
    });
  });
}
