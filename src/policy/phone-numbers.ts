/**
 * Which phone numbers may be sent SMS and voice codes. Pure: the caller parses the number
 * (src/factors/phone-number.ts) and hands over what the numbering plan says about it.
 *
 * Toll fraud pays the attacker per message or call to numbers that charge the sender (premium
 * rate, shared cost, UAN) or that belong to no country (international networks and satellite
 * services, +881, +882, +883, +979 ...). Those are never sent to. Otherwise SMS goes to
 * mobile numbers only (a fixed line cannot take a text), and a voice call to a mobile or a fixed
 * line: the voice factor exists for phones that cannot take texts, and a call to a geographic
 * fixed line costs no more than one to a mobile. Toll-free, VoIP, pager, personal and voicemail
 * numbers are refused: they are not "a mobile number", and several of them are resold ranges.
 */
export const PHONE_NUMBER_TYPES = [
  'mobile',
  'fixed-line-or-mobile',
  'fixed-line',
  'premium-rate',
  'shared-cost',
  'uan',
  'toll-free',
  'voip',
  'personal-number',
  'pager',
  'voicemail',
  'unknown',
] as const;
export type PhoneNumberType = (typeof PHONE_NUMBER_TYPES)[number];
export type PhoneChannel = 'sms' | 'voice';

export interface PhoneNumberFacts {
  /** the number exists in its country's numbering plan */
  valid: boolean;
  /** 'fixed-line-or-mobile': the plan cannot tell (the US and Canada, for instance) */
  type: PhoneNumberType;
  /** ISO 3166-1 alpha-2 (XK for Kosovo); null for international networks, which belong to no country */
  country: string | null;
}

export const PHONE_NUMBER_REFUSALS = ['invalid', 'international-network', 'premium-rate', 'country-not-allowed', 'type-not-accepted'] as const;
export type PhoneNumberRefusal = (typeof PHONE_NUMBER_REFUSALS)[number];
export type PhoneNumberDecision = { allowed: true } | { allowed: false; reason: PhoneNumberRefusal };

const CHARGED: ReadonlySet<PhoneNumberType> = new Set(['premium-rate', 'shared-cost', 'uan']);
const REACHABLE: Readonly<Record<PhoneChannel, ReadonlySet<PhoneNumberType>>> = {
  sms: new Set(['mobile', 'fixed-line-or-mobile']),
  voice: new Set(['mobile', 'fixed-line-or-mobile', 'fixed-line']),
};

/**
 * Whether a code may be sent to the number over the channel. `allowedCountries` is the tenant's
 * list (`mfa.phoneCountries`); empty allows every country. Refusals come in the order a user
 * can act on: a wrong number first, then numbers no country list could allow, then the country.
 */
export function decidePhoneNumber(facts: PhoneNumberFacts, channel: PhoneChannel, allowedCountries: readonly string[]): PhoneNumberDecision {
  if (!facts.valid) return { allowed: false, reason: 'invalid' };
  if (facts.country === null) return { allowed: false, reason: 'international-network' };
  if (CHARGED.has(facts.type)) return { allowed: false, reason: 'premium-rate' };
  if (allowedCountries.length > 0 && !allowedCountries.includes(facts.country)) return { allowed: false, reason: 'country-not-allowed' };
  if (!REACHABLE[channel].has(facts.type)) return { allowed: false, reason: 'type-not-accepted' };
  return { allowed: true };
}
