import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createArrivals } from './arrivals.ts';

/**
 * A local stand-in for the two Twilio REST endpoints Latchkey uses, answering what the real
 * SDK sends (form-encoded POSTs with HTTP Basic auth) the way api.twilio.com does. Point
 * TWILIO_API_BASE_URL at `url`.
 */
export interface SentSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  receivedAt: number;
}

export interface PlacedCall {
  sid: string;
  to: string;
  from: string;
  twiml: string;
  receivedAt: number;
}

export interface TwilioStandIn {
  url: string;
  messages: SentSms[];
  calls: PlacedCall[];
  waitForSms(to: string, after?: number): Promise<SentSms>;
  waitForCall(to: string, after?: number): Promise<PlacedCall>;
  codeFromSms(message: SentSms): string;
  /** the code a call reads out; fails unless it is read (digit by digit) at least twice */
  codeFromCall(call: PlacedCall): string;
  /** the next request is answered with this Twilio error instead */
  failNext(status: number, code: number, message: string): void;
  close(): Promise<void>;
}

const API_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export async function startTwilioStandIn(credentials: { accountSid: string; authToken: string }): Promise<TwilioStandIn> {
  const messages: SentSms[] = [];
  const calls: PlacedCall[] = [];
  const failures: { status: number; code: number; message: string }[] = [];
  const arrivals = createArrivals();
  const expectedAuth = digest(`Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64')}`);

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => twilioError(res, 500, 20500, `Stand-in failure: ${String(err)}`));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const match = API_PATH.exec(path);
    if (!match) return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    if (req.method !== 'POST') return twilioError(res, 405, 20004, 'Method not allowed');
    if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expectedAuth)) {
      return twilioError(res, 401, 20003, 'Authenticate', 'Your AccountSid or AuthToken was incorrect.');
    }
    if (match[1] !== credentials.accountSid) return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return twilioError(res, 400, 20001, 'Expected an application/x-www-form-urlencoded body');
    }
    const form = new URLSearchParams(await readBody(req));
    const failure = failures.shift();
    if (failure) return twilioError(res, failure.status, failure.code, failure.message);
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (match[2] === 'Messages') {
      const body = form.get('Body') ?? '';
      if (!body) return twilioError(res, 400, 21602, 'Message body is required.');
      const sms = { sid: sid('SM'), to, from, body, receivedAt: Date.now() };
      messages.push(sms);
      answer(res, 201, messageResource(credentials.accountSid, sms));
    } else {
      const twiml = form.get('Twiml') ?? '';
      if (!twiml && !form.get('Url')) return twilioError(res, 400, 21205, 'Url parameter is required.');
      const call = { sid: sid('CA'), to, from, twiml, receivedAt: Date.now() };
      calls.push(call);
      answer(res, 201, callResource(credentials.accountSid, call));
    }
    arrivals.arrived();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = <T>(find: () => T | undefined, what: string) => arrivals.waitFor(find, `the Twilio stand-in's ${what}`);

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    calls,
    waitForSms: (to, after = 0) => waitFor(() => messages.find((m) => m.to === to && m.receivedAt >= after), `SMS to ${to}`),
    waitForCall: (to, after = 0) => waitFor(() => calls.find((c) => c.to === to && c.receivedAt >= after), `call to ${to}`),
    codeFromSms(message) {
      const code = /\b(\d{4,10})\b/.exec(message.body)?.[1];
      if (!code) throw new Error(`no code in the SMS: ${message.body}`);
      return code;
    },
    codeFromCall: (call) => codeReadTwice(call.twiml),
    failNext(status, code, message) {
      failures.push({ status, code, message });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The spoken text of every <Say> in the TwiML; the code must be read in full at least twice. */
function codeReadTwice(twiml: string): string {
  if (!/^<\?xml[^>]*\?><Response>[\s\S]*<\/Response>$/.test(twiml)) throw new Error(`not a TwiML document: ${twiml}`);
  const spoken = [...twiml.matchAll(/<Say\b[^>]*>([^<]*)<\/Say>/g)].map((m) => m[1]).join(' ');
  // digits read one by one: "1, 2, 3, 4, 5, 6"
  const readings = [...spoken.matchAll(/\b\d(?:,? \d\b)+/g)].map((m) => m[0].replace(/\D/g, ''));
  if (readings.length < 2) throw new Error(`the code is not read twice digit by digit: ${spoken}`);
  if (new Set(readings).size !== 1) throw new Error(`the call reads different codes: ${readings.join(' / ')}`);
  return readings[0]!;
}

function messageResource(accountSid: string, sms: SentSms) {
  const now = new Date(sms.receivedAt).toUTCString().replace('GMT', '+0000');
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sms.sid}.json`;
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: sms.body,
    date_created: now,
    date_sent: null,
    date_updated: now,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: sms.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(sms.body.length / 153))),
    price: null,
    price_unit: 'USD',
    sid: sms.sid,
    status: 'queued',
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: sms.to,
    uri,
  };
}

function callResource(accountSid: string, call: PlacedCall) {
  const now = new Date(call.receivedAt).toUTCString().replace('GMT', '+0000');
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`;
  return {
    account_sid: accountSid,
    annotation: null,
    answered_by: null,
    api_version: '2010-04-01',
    caller_name: null,
    date_created: now,
    date_updated: now,
    direction: 'outbound-api',
    duration: null,
    end_time: null,
    forwarded_from: null,
    from: call.from,
    from_formatted: call.from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: `PN${randomBytes(16).toString('hex')}`,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: call.sid,
    start_time: null,
    status: 'queued',
    subresource_uris: { recordings: uri.replace('.json', '/Recordings.json'), events: uri.replace('.json', '/Events.json') },
    to: call.to,
    to_formatted: call.to,
    trunk_sid: null,
    uri,
  };
}

function twilioError(res: ServerResponse, status: number, code: number, message: string, detail?: string) {
  answer(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status, ...(detail ? { detail } : {}) });
}

function answer(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'twilio-request-id': sid('RQ') });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Twilio credentials for one test run (the stand-in checks them like Twilio does) */
export function testTwilioCredentials(): { accountSid: string; authToken: string } {
  return { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
}

/** the server settings that send email to the SMTP sink and SMS and calls to the Twilio stand-in */
export function deliveryEnv(smtpUrl: string, twilio: { url: string }, credentials: { accountSid: string; authToken: string }): Record<string, string> {
  return {
    SMTP_URL: smtpUrl,
    TWILIO_ACCOUNT_SID: credentials.accountSid,
    TWILIO_AUTH_TOKEN: credentials.authToken,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_BASE_URL: twilio.url,
  };
}
