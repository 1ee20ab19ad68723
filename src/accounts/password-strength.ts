import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { characterClasses, type PasswordFacts } from '../policy/password-rules.ts';
import { normalizePassword } from './normalize.ts';
import { loadCommonPasswords } from './common-passwords.ts';

export interface StrengthContext {
  email?: string;
  firstName?: string;
  lastName?: string;
  tenantName?: string;
}

export interface PasswordStrength {
  /** measures a candidate for the password policy (history is checked by the caller) */
  measure(password: string, context: StrengthContext): Omit<PasswordFacts, 'reused'> & { feedback: string[] };
}

/** zxcvbn-ts with the user's own words as dictionary entries, and the common-password list. */
export function createPasswordStrength(): PasswordStrength {
  const zxcvbn = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  const blocklist = loadCommonPasswords();
  return {
    measure(password, context) {
      const normalized = normalizePassword(password);
      const words = userWords(context);
      // zxcvbn's cost grows with length; past 100 characters the score is 4 anyway
      const result = zxcvbn.check(normalized.slice(0, 100), words);
      const feedback = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => Boolean(s));
      return {
        length: [...normalized].length,
        classes: characterClasses(normalized),
        strength: result.score,
        common: blocklist.has(normalized.toLowerCase()),
        feedback,
      };
    },
  };
}

function userWords(context: StrengthContext): string[] {
  const words = new Set<string>();
  const add = (v: string | undefined) => {
    if (!v) return;
    const lower = v.toLowerCase();
    words.add(lower);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  };
  add(context.email);
  add(context.firstName);
  add(context.lastName);
  add(context.tenantName);
  return [...words];
}
