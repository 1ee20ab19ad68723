import { z } from 'zod';
import { CODE_MAX, PASSWORD_MAX, formText, optionalFormText } from '../http/form.ts';
import { PHONE_MAX } from '../login/forms.ts';

/**
 * The forms of the account console, read with readForm (src/http/form.ts): they refuse what no
 * page of ours sends (a field twice, a list or object, an over-long value); an empty or missing
 * field passes, and the page answers it with its own message. The invitation link's forms are
 * the sign-in's new-password forms (src/login/forms.ts); the fields read one by one go through
 * formField (src/console/context.ts).
 */

/** a first or last name: the profile says "at most 100 characters" itself, this only bounds the input */
const NAME_INPUT_MAX = 1024;

/** the password that opens the security section */
export const unlockForm = z.object({ password: formText(PASSWORD_MAX) });

/** "Change password": the current one, the new one and its confirmation */
export const passwordChangeForm = z.object({ current: formText(PASSWORD_MAX), password: formText(PASSWORD_MAX), confirm: formText(PASSWORD_MAX) });

export const profileForm = z.object({ firstName: formText(NAME_INPUT_MAX), lastName: formText(NAME_INPUT_MAX) });

/** the type to add, and for a phone type its number (missing: the number is asked first) */
export const addFactorForm = z.object({ type: formText(16), phone: optionalFormText(PHONE_MAX) });

/** the first code of the factor being added */
export const confirmFactorForm = z.object({ code: formText(CODE_MAX) });

/** a new passkey (the browser's answer, JSON) and its name */
export const addPasskeyForm = z.object({ credential: formText(16_384), name: formText(64) });

/** the scopes' checkboxes arrive as one value or a list of them; read as a list */
const scopeValue = z.string().max(32);
const scopeList = z.union([scopeValue.transform((scope) => [scope]), z.array(scopeValue).max(10)]).default([]);

/** a new personal API token (the page says which field is wrong: name at most 100, known scopes, a listed expiry) */
export const apiTokenForm = z.object({
  name: formText(200),
  scopes: scopeList,
  expiresInDays: formText(8),
});

/** revoking a personal API token: its id */
export const revokeApiTokenForm = z.object({ token: formText(64) });
