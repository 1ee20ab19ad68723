import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database.ts';
import { OutboxMessageEntity } from '../../store/entities/index.ts';
import type { Settings } from '../../config/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { twilioTransport } from './twilio-transport.ts';
import type { PhoneTransport, SpokenCode } from './phone-transport.ts';
import { matchLocale } from '../../lib/locale-match.ts';

export interface PhoneSender {
  readonly transport: 'twilio' | 'outbox' | 'none';
  sendSms(to: string, body: string): Promise<void>;
  /**
   * calls `to` and reads the digits of spokenCode, twice, in the locale's language when
   * `phrases` (translated, with a {digits} placeholder) are given, else in English
   */
  placeCall(to: string, spokenCode: string, locale?: string, phrases?: VoicePhrases): Promise<void>;
}

/** the two sentences of a call, each with a {digits} placeholder */
export interface VoicePhrases {
  first: string;
  again: string;
}

export type PhoneSettings = Pick<Settings, 'NODE_ENV' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_FROM' | 'TWILIO_API_BASE_URL'>;

export interface PhoneSenderDeps {
  settings: PhoneSettings;
  db: Database;
  clock: Clock;
  logger: Logger;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const SMS_MAX_LENGTH = 1600; // Twilio's limit for one message body

/**
 * Twilio when its three settings are set; otherwise, outside production, the dev outbox
 * table (read at /dev/outbox like emails); in production without Twilio, nothing: sending
 * throws, and SMS and voice codes must not be offered.
 */
export function createPhoneSender(deps: PhoneSenderDeps): PhoneSender {
  const { logger } = deps;
  const transport = chooseTransport(deps);
  return {
    transport: transport.name,
    async sendSms(to, body) {
      assertPhoneNumber(to);
      if (!body.trim() || body.length > SMS_MAX_LENGTH) {
        throw new AppError(400, 'phone.invalid_message', `An SMS body must have 1–${SMS_MAX_LENGTH} characters`);
      }
      const { sid } = await transport.impl.sendSms(to, body);
      logger.info({ channel: 'sms', transport: transport.name, to: maskPhoneNumber(to), sid }, 'sms sent');
    },
    async placeCall(to, spokenCode, locale, phrases) {
      assertPhoneNumber(to);
      const { sid } = await transport.impl.placeCall(to, spokenCodeText(spokenCode, locale, phrases));
      logger.info({ channel: 'voice', transport: transport.name, to: maskPhoneNumber(to), sid }, 'call placed');
    },
  };
}

function chooseTransport({ settings, db, clock }: PhoneSenderDeps): { name: PhoneSender['transport']; impl: PhoneTransport } {
  const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_FROM: from } = settings;
  if (accountSid && authToken && from) {
    return { name: 'twilio', impl: twilioTransport({ accountSid, authToken, from, apiBaseUrl: settings.TWILIO_API_BASE_URL }) };
  }
  if (settings.NODE_ENV === 'production') return { name: 'none', impl: unavailable() };
  return { name: 'outbox', impl: outboxTransport(db, clock) };
}

/** "+14155550142" → "+*********42": enough to tell numbers apart in logs, not to dial them */
export function maskPhoneNumber(number: string): string {
  return number.replace(/\d(?=\d{2})/g, '*');
}

const ENGLISH: VoicePhrases = { first: 'Your Latchkey code is {digits}.', again: 'Again: {digits}.' };

/**
 * The text read on a voice call: each digit on its own, and all of them twice, because a
 * listener who missed one cannot scroll back. The phrases are the caller's translation for
 * `locale` (English without them); a regional English tag picks the English accent.
 */
function spokenCodeText(code: string, locale?: string, phrases?: VoicePhrases): SpokenCode {
  if (!/^[0-9]{4,10}$/.test(code)) throw new AppError(400, 'phone.invalid_code', 'A spoken code must have 4–10 digits');
  const say = phrases ?? ENGLISH;
  const voice = phrases ? twilioVoice(locale) : undefined;
  const digits = code.split('').join(', ');
  const first = say.first.replaceAll('{digits}', digits);
  const again = say.again.replaceAll('{digits}', digits);
  return { text: `${first} ${again}`, first, again, ...(voice ?? { language: englishAccent(locale) }) };
}

/**
 * <Say> language and voice for our languages other than English. Twilio's default voice
 * speaks only a few languages, so each gets a Google voice of its own (Twilio's TTS voice
 * list); Mandarin is cmn-CN there.
 */
const VOICES: Record<string, { language: string; voice: string }> = {
  de: { language: 'de-DE', voice: 'Google.de-DE-Standard-A' },
  fr: { language: 'fr-FR', voice: 'Google.fr-FR-Standard-A' },
  tr: { language: 'tr-TR', voice: 'Google.tr-TR-Standard-A' },
  ru: { language: 'ru-RU', voice: 'Google.ru-RU-Standard-A' },
  es: { language: 'es-ES', voice: 'Google.es-ES-Standard-A' },
  'zh-CN': { language: 'cmn-CN', voice: 'Google.cmn-CN-Standard-A' },
  ja: { language: 'ja-JP', voice: 'Google.ja-JP-Standard-A' },
  ko: { language: 'ko-KR', voice: 'Google.ko-KR-Standard-A' },
  'pt-BR': { language: 'pt-BR', voice: 'Google.pt-BR-Standard-A' },
  cs: { language: 'cs-CZ', voice: 'Google.cs-CZ-Standard-A' },
  pl: { language: 'pl-PL', voice: 'Google.pl-PL-Standard-A' },
};

function twilioVoice(locale: string | undefined): { language: string; voice: string } | undefined {
  const match = matchLocale(locale);
  return match ? VOICES[match] : undefined;
}

/** the accent of the English voice: a regional English tag keeps its own, else American */
function englishAccent(locale: string | undefined): string {
  const tag = (locale ?? '').replace('_', '-').toLowerCase();
  if (tag === 'en-gb') return 'en-GB';
  if (tag === 'en-au') return 'en-AU';
  if (tag === 'en-in') return 'en-IN';
  return 'en-US';
}

function assertPhoneNumber(to: string): void {
  if (!E164.test(to)) throw new AppError(400, 'phone.invalid_number', 'The phone number must be in E.164 form, such as +14155550100');
}

function outboxTransport(db: Database, clock: Clock): PhoneTransport {
  const keep = async (channel: 'sms' | 'voice', recipient: string, subject: string, text: string) => {
    const em = db.em();
    const id = randomUUID();
    em.create(OutboxMessageEntity, { id, channel, recipient, subject, text, html: null, createdAt: new Date(clock.now()) });
    await em.flush();
    return { sid: `outbox:${id}` };
  };
  return {
    sendSms: (to, body) => keep('sms', to, 'SMS', body),
    placeCall: (to, spoken) => keep('voice', to, 'Voice call', spoken.text),
  };
}

function unavailable(): PhoneTransport {
  const refuse = async (): Promise<never> => {
    throw new AppError(503, 'phone.unavailable', 'SMS and voice codes are not available: Twilio is not configured', { expose: false });
  };
  return { sendSms: refuse, placeCall: refuse };
}
