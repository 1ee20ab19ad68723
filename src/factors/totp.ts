import { generate, generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 as authenticator apps implement it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const SECRET_BYTES = 20; // 160 bits, the HMAC-SHA1 block size RFC 4226 recommends
// otplib's tolerance is in seconds; one period either way checks exactly the previous and next step
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
const DEFAULT_ISSUER = 'Latchkey';

/** a fresh base32 secret, as shown for manual entry and put into the otpauth URI */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * The otpauth:// URI an authenticator app scans. Colons separate issuer from account in the
 * URI's label, so they are dropped from both.
 */
export function totpUri(input: { secret: string; accountName: string; issuer?: string }): string {
  const clean = (s: string) => s.replaceAll(':', ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  const issuer = clean(input.issuer ?? '') || DEFAULT_ISSUER;
  return generateURI({ issuer, label: clean(input.accountName), secret: input.secret, digits: DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** spaces (as apps display codes, "123 456") are ignored; anything but six digits is no code */
export function normalizeTotpCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const code = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The time step whose code matches (the current step, or one step either side for clock
 * drift), or null. The caller stores the step to refuse the same code again.
 */
export async function verifyTotp(secret: string, code: unknown, nowMs: number): Promise<number | null> {
  const token = normalizeTotpCode(code);
  if (!token) return null;
  const result = await verify({
    secret,
    token,
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE_SECONDS,
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** the code an authenticator app shows at `nowMs` (tests and tooling) */
export function totpCodeAt(secret: string, nowMs: number): Promise<string> {
  return generate({ secret, digits: DIGITS, period: TOTP_PERIOD_SECONDS, epoch: Math.floor(nowMs / 1000) });
}

/** the time step `nowMs` falls in */
export function totpStepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}
