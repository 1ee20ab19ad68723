import { z } from 'zod';
import { CODE_MAX, EMAIL_MAX, PASSWORD_MAX, formText, optionalFormText } from '../http/form.ts';

/**
 * The forms of the hosted sign-in, read with readForm (src/http/form.ts). They refuse what no
 * page of ours sends (a field twice, a list or object, an over-long value); an empty or missing
 * field passes, and the step answers it with its own message.
 */

/** a factor type or a consent decision: a short word the step compares with its own list */
const WORD_MAX = 16;
/** the phone number field (its input's maxlength; the number screening refuses longer ones too) */
export const PHONE_MAX = 40;

export const signInForm = z.object({ email: formText(EMAIL_MAX), password: formText(PASSWORD_MAX) });

export const forgotPasswordForm = z.object({ email: formText(EMAIL_MAX) });

/** a new password and its confirmation; `confirm` missing differs from an empty one (a mismatch) */
export const newPasswordForm = z.object({ password: formText(PASSWORD_MAX), confirm: optionalFormText(PASSWORD_MAX) });

/** the forced or expired password change during sign-in */
export const changePasswordForm = z.object({ password: formText(PASSWORD_MAX), confirm: formText(PASSWORD_MAX) });

/** strength feedback while typing: no password at all is the step's answer, not a malformed form */
export const passwordStrengthForm = z.object({ password: optionalFormText(PASSWORD_MAX) });

/** the password proof that links an upstream identity to an existing account */
export const federationLinkForm = z.object({ password: formText(PASSWORD_MAX) });

/** a provider's button on the sign-in page (the step checks it is a provider id) */
export const federationStartForm = z.object({ provider: formText(64) });

export const consentForm = z.object({ decision: formText(WORD_MAX) });

/** the "remember this device" box of the second-factor and enrollment pages (the name's input has maxlength 64) */
export const rememberDeviceFields = { remember: formText(WORD_MAX), deviceName: formText(64) };
export type RememberDeviceFields = { remember: string; deviceName: string };

/** "send a code" on the second-factor page */
export const sendCodeForm = z.object({ factor: formText(WORD_MAX) });

/** the code for the factor on the page */
export const secondFactorForm = z.object({ factor: formText(WORD_MAX), code: formText(CODE_MAX), ...rememberDeviceFields });

/** the type to set up, and for a phone type its number (missing: the number is asked first) */
export const enrollStartForm = z.object({ type: formText(WORD_MAX), phone: optionalFormText(PHONE_MAX) });

/** the browser's answer for a passkey (JSON of a PublicKeyCredential: a few kilobytes at most) */
export const PASSKEY_ANSWER_MAX = 16_384;
export const passkeyAnswerForm = z.object({ credential: formText(PASSKEY_ANSWER_MAX), ...rememberDeviceFields });

/** a new passkey, and the name the user gives it (at most 64 characters, as every factor's) */
export const enrollPasskeyForm = z.object({ credential: formText(PASSKEY_ANSWER_MAX), name: formText(64), ...rememberDeviceFields });

/** the first code of the factor being set up */
export const enrollConfirmForm = z.object({ code: formText(CODE_MAX), ...rememberDeviceFields });
