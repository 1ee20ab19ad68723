import { z } from 'zod';

/** Emails are compared NFKC-normalised, trimmed and lower-cased. */
export function normalizeEmail(input: string): string {
  return input.normalize('NFKC').trim().toLowerCase();
}

/** Passwords are NFKC-normalised before hashing and checking (NIST SP 800-63B-4 5.1.1.2). */
export function normalizePassword(input: string): string {
  return input.normalize('NFKC');
}

export const emailSchema = z
  .string()
  .max(320)
  .transform(normalizeEmail)
  .pipe(z.email({ message: 'must be a valid email address' }));
export const tenantNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'letters, digits and dashes, starting with a letter or digit, at most 63 characters');
