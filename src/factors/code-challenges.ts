import { FACTOR_TYPES, isCodeFactor, isPhoneFactor, type CodeFactorType } from '../policy/factor-types.ts';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * One-time codes sent by email, SMS or voice call, bound to one sign-in (purpose + interaction
 * uid) and one user. The stores (src/store/challenges/) keep only an HMAC of the code and
 * count attempts and sends atomically: in Redis shared by every replica, in process otherwise.
 */
/** the factors whose code is sent (src/policy/factor-types.ts) */
export type CodeChannel = CodeFactorType;

export interface ChallengeLimits {
  ttlSeconds: number;
  /** wrong codes that void one challenge (the sign-in must start over) */
  maxAttempts: number;
  /** wrong codes of one user, across all of the user's sign-ins, within failureWindowSeconds */
  userFailures: number;
  failureWindowSeconds: number;
  /** minimum time between two sends to one user, all channels together */
  resendIntervalSeconds: number;
  sendsPerHour: number;
  /** sms and voice only: sends to one destination number per hour, whoever asks (toll-fraud guard) */
  perNumberPerHour?: number;
  /** sms and voice only: sends of one tenant per hour (toll-fraud guard) */
  perTenantPerHour?: number;
  /** sms and voice only: sends asked for from one client address (IssueInput.ip) per hour, any tenant */
  perIpPerHour?: number;
  /** sms and voice only: sends to one block of numbers (IssueInput.prefix) per hour, whoever asks */
  perPrefixPerHour?: number;
}

export interface IssueInput {
  purpose: string;
  uid: string;
  userId: string;
  tenantId: string;
  channel: CodeChannel;
  destination: string;
  /** sms and voice: where the request came from (an IPv6 client's /64), counted under perIpPerHour */
  ip?: string;
  /** sms and voice: the destination's block of numbers, counted under perPrefixPerHour */
  prefix?: string;
  limits: ChallengeLimits;
}

export type IssueRefusal =
  | 'resend-too-soon'
  | 'user-hourly-limit'
  | 'number-hourly-limit'
  | 'tenant-hourly-limit'
  | 'ip-hourly-limit'
  | 'prefix-hourly-limit'
  | 'voided'
  | 'user-locked';
/** retryAfterSeconds is 0 for 'voided': no wait helps, the sign-in must start over. */
export type IssueResult = { ok: true; code: string; expiresAt: number } | { ok: false; reason: IssueRefusal; retryAfterSeconds: number };

export interface VerifyInput {
  purpose: string;
  uid: string;
  userId: string;
  code: string;
  limits: ChallengeLimits;
}

export type VerifyRefusal = 'wrong' | 'voided' | 'expired' | 'none' | 'user-locked';
export type VerifyResult = { ok: true; channel: CodeChannel; destination: string } | { ok: false; reason: VerifyRefusal; attemptsLeft?: number };

export interface ChallengeState {
  channel: CodeChannel;
  destination: string;
  /** epoch ms; may be in the past (an expired challenge is kept to answer 'expired') */
  expiresAt: number;
  /** attempts counted so far, across every code sent for this sign-in */
  attempts: number;
}

export interface CodeChallenges {
  /**
   * Creates or replaces the challenge of this sign-in; a new code voids the old one and keeps the
   * attempt count. Refuses while the user is locked, after the challenge was voided, and beyond
   * the send limits (the refusal names the limit that keeps the caller waiting longest).
   */
  issue(input: IssueInput): Promise<IssueResult>;
  /**
   * Counts the attempt atomically before comparing (parallel guesses cannot exceed the limits),
   * then compares in constant time. The maxAttempts-th wrong code voids the challenge (answered
   * 'voided', attemptsLeft 0); success deletes it.
   */
  verify(input: VerifyInput): Promise<VerifyResult>;
  current(purpose: string, uid: string): Promise<ChallengeState | undefined>;
  cancel(purpose: string, uid: string): Promise<void>;
}

export const CODE_DIGITS = 6;
export const HOUR_MS = 3_600_000;
/**
 * How long a challenge outlives its code, so an expired code answers 'expired' and a voided
 * challenge keeps refusing resends: as long as an interaction lives (oidc-provider's default 1 h).
 */
export const TOMBSTONE_MS = HOUR_MS;

export function generateCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

interface MacInput {
  purpose: string;
  uid: string;
  userId: string;
  code: string;
}

/** The sign-in, the user and the purpose are part of the MAC, so a code never matches elsewhere. */
export function codeMac(secret: Buffer, input: MacInput): Buffer {
  const message = JSON.stringify(['latchkey:code:v1', input.purpose, input.uid, input.userId, input.code]);
  return createHmac('sha256', secret).update(message).digest();
}

export function codeMatches(secret: Buffer, input: MacInput, storedMacHex: string): boolean {
  const stored = Buffer.from(storedMacHex, 'hex');
  const offered = codeMac(secret, input);
  return stored.length === offered.length && timingSafeEqual(stored, offered);
}

/** Keys carry destinations only as a keyed hash, so a key listing does not list phone numbers. */
export function destinationKey(secret: Buffer, destination: string): string {
  return createHmac('sha256', secret).update(`latchkey:destination:${destination}`).digest('base64url').slice(0, 22);
}

export function isPhoneChannel(channel: CodeChannel): boolean {
  return isPhoneFactor(channel);
}

export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export function checkSecret(secret: Buffer): Buffer {
  if (!Buffer.isBuffer(secret) || secret.length < 32) throw new TypeError('code challenge secret: at least 32 bytes');
  return secret;
}

const PURPOSE = /^[a-z][a-z0-9-]{0,31}$/;
const ID = /^[A-Za-z0-9_.@+=-]{1,200}$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,252}$/;

const SEND_SCOPE = /^[0-9A-Za-z:./]{1,100}$/;
const PREFIX = /^\+[1-9][0-9]{0,14}$/;

function fail(message: string): never {
  throw new TypeError(`code challenge: ${message}`);
}

export function checkSignIn(purpose: string, uid: string): void {
  if (typeof purpose !== 'string' || !PURPOSE.test(purpose)) fail('purpose must be lower-case letters, digits and -');
  if (typeof uid !== 'string' || !ID.test(uid)) fail('uid must be 1-200 letters, digits or _.@+=-');
}

function checkLimits(limits: ChallengeLimits): void {
  const whole = (name: keyof ChallengeLimits, min: number, optional = false) => {
    const value = limits?.[name];
    if (optional && value === undefined) return;
    if (!Number.isSafeInteger(value) || (value as number) < min) fail(`limits.${name} must be an integer >= ${min}`);
  };
  whole('ttlSeconds', 1);
  whole('maxAttempts', 1);
  whole('userFailures', 1);
  whole('failureWindowSeconds', 1);
  whole('resendIntervalSeconds', 0);
  whole('sendsPerHour', 1);
  whole('perNumberPerHour', 1, true);
  whole('perTenantPerHour', 1, true);
  whole('perIpPerHour', 1, true);
  whole('perPrefixPerHour', 1, true);
}

export function checkIssue(input: IssueInput): void {
  checkSignIn(input.purpose, input.uid);
  if (typeof input.userId !== 'string' || !ID.test(input.userId)) fail('userId must be 1-200 letters, digits or _.@+=-');
  if (typeof input.tenantId !== 'string' || !ID.test(input.tenantId)) fail('tenantId must be 1-200 letters, digits or _.@+=-');
  if (!isCodeFactor(input.channel)) fail(`channel must be one of ${FACTOR_TYPES.filter(isCodeFactor).join(', ')}`);
  const destinationOk = input.channel === 'email' ? EMAIL.test(input.destination ?? '') : E164.test(input.destination ?? '');
  if (!destinationOk) fail(input.channel === 'email' ? 'destination must be an email address' : 'destination must be an E.164 number');
  if (input.ip !== undefined && (typeof input.ip !== 'string' || !SEND_SCOPE.test(input.ip))) fail('ip must be 1-100 characters of an address or range');
  if (input.prefix !== undefined && (typeof input.prefix !== 'string' || !PREFIX.test(input.prefix))) fail('prefix must be + and 1-15 digits');
  checkLimits(input.limits);
}

export function checkVerify(input: VerifyInput): void {
  checkSignIn(input.purpose, input.uid);
  if (typeof input.userId !== 'string' || !ID.test(input.userId)) fail('userId must be 1-200 letters, digits or _.@+=-');
  if (typeof input.code !== 'string') fail('code must be a string');
  checkLimits(input.limits);
}

/** Anything but six digits can never match; it is still counted as a wrong code. */
export function plausibleCode(code: string): boolean {
  return code.length === CODE_DIGITS && /^[0-9]+$/.test(code);
}
