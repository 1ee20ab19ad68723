import { parsePhoneNumberFromString, type PhoneNumberType as LibraryType } from 'libphonenumber-js/max';
import { decidePhoneNumber, type PhoneChannel, type PhoneNumberFacts, type PhoneNumberRefusal, type PhoneNumberType } from '../policy/phone-numbers.ts';
import type { MfaPolicy } from '../policy/tenant-policy.ts';
import { maskPhoneNumber } from './delivery/phone.ts';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all */
const E164 = /^\+[1-9]\d{6,14}$/;

/** the E.164 form of what a person typed (spaces, dashes, dots and brackets dropped), or null */
export function normalizePhoneNumber(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 40) return null;
  const phone = input.replace(/[\s().-]/g, '');
  return E164.test(phone) ? phone : null;
}

const TYPES: Readonly<Record<LibraryType, PhoneNumberType>> = {
  MOBILE: 'mobile',
  FIXED_LINE_OR_MOBILE: 'fixed-line-or-mobile',
  FIXED_LINE: 'fixed-line',
  PREMIUM_RATE: 'premium-rate',
  SHARED_COST: 'shared-cost',
  UAN: 'uan',
  TOLL_FREE: 'toll-free',
  VOIP: 'voip',
  PERSONAL_NUMBER: 'personal-number',
  PAGER: 'pager',
  VOICEMAIL: 'voicemail',
};
/** the metadata names these apart; ISO 3166-1 counts them as part of Saint Helena (SH) */
const ISO_COUNTRY: Readonly<Record<string, string>> = { AC: 'SH', TA: 'SH' };
/** digits dropped from the end of a number to name its block (see phonePrefix) */
const PREFIX_DROPPED_DIGITS = 4;

export interface DescribedPhoneNumber extends PhoneNumberFacts {
  /** the canonical E.164 form */
  phone: string;
  /** the block of 10,000 numbers it belongs to, for the per-prefix send limit */
  prefix: string;
}

/**
 * What the numbering plan (libphonenumber's full metadata, which knows number types) says
 * about an E.164 number: whether it exists, its type and its country.
 */
export function describePhoneNumber(e164: string): DescribedPhoneNumber {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return { phone: e164, prefix: phonePrefix(e164, ''), valid: false, type: 'unknown', country: null };
  const valid = parsed.isValid();
  const type = valid ? parsed.getType() : undefined;
  const country = parsed.country ? (ISO_COUNTRY[parsed.country] ?? parsed.country) : null;
  return {
    phone: valid ? parsed.number : e164,
    prefix: phonePrefix(`+${parsed.countryCallingCode}`, parsed.nationalNumber),
    valid,
    type: type ? TYPES[type] : 'unknown',
    country,
  };
}

/**
 * A number without its last four digits: "+1 415 555 0142" is in block "+1415555". Carriers get
 * and resell numbers in such blocks, so toll fraud that walks through one range (each number
 * under its own per-number limit) meets one per-prefix limit. Never shorter than the calling code.
 */
function phonePrefix(callingCode: string, nationalNumber: string): string {
  return callingCode + nationalNumber.slice(0, Math.max(0, nationalNumber.length - PREFIX_DROPPED_DIGITS));
}

export type PhoneScreening =
  | { ok: true; phone: string; prefix: string }
  /** not a phone number in international form at all */
  | { ok: false; reason: 'malformed' }
  | PhoneRefused;

export interface PhoneRefused {
  ok: false;
  reason: PhoneNumberRefusal;
  channel: PhoneChannel;
  phone: string;
  type: PhoneNumberType;
  country: string | null;
}

/**
 * The one check of a number that is to get SMS or voice codes: every path that takes a number
 * (sign-in enrolment, the account console) and every send (code-delivery.ts) asks it. The
 * decision is the pure decidePhoneNumber, under the tenant's `mfa.phoneCountries`.
 */
export function screenPhoneNumber(input: unknown, channel: PhoneChannel, policy: Pick<MfaPolicy, 'phoneCountries'>): PhoneScreening {
  const typed = normalizePhoneNumber(input);
  if (!typed) return { ok: false, reason: 'malformed' };
  const described = describePhoneNumber(typed);
  const decision = decidePhoneNumber(described, channel, policy.phoneCountries);
  if (decision.allowed) return { ok: true, phone: described.phone, prefix: described.prefix };
  return { ok: false, reason: decision.reason, channel, phone: described.phone, type: described.type, country: described.country };
}

/** the audit row's details of a refused number: why, its type and country, and the number masked as logs show it */
export function phoneRefusalDetails(refused: PhoneRefused): Record<string, unknown> {
  return { channel: refused.channel, reason: refused.reason, type: refused.type, country: refused.country, phone: maskPhoneNumber(refused.phone) };
}
