/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all */
const E164 = /^\+[1-9]\d{6,14}$/;

/** the E.164 form of what a person typed (spaces, dashes, dots and brackets dropped), or null */
export function normalizePhoneNumber(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 40) return null;
  const phone = input.replace(/[\s().-]/g, '');
  return E164.test(phone) ? phone : null;
}
