import { createHash, randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { RecoveryCodeEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, notFound } from '../lib/errors.ts';

/** Crockford's base32: no i, l, o or u, so nothing is mistaken for 1, 0 or v when read aloud or copied. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const HALF = 5;
export const MAX_RECOVERY_CODES = 20;

export interface RecoveryCodes {
  /** new codes in the form xxxxx-xxxxx, shown once; the user's older codes stop working */
  generate(userId: string, count: number): Promise<string[]>;
  /** true for exactly one caller per code, also across replicas */
  consume(userId: string, code: string): Promise<boolean>;
  remaining(userId: string): Promise<number>;
}

const isId = (id: unknown): id is string => z.guid().safeParse(id).success;

/** lower case without separators; letters people confuse with digits are read as the digits */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 40) return null;
  const code = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  if (code.length !== 2 * HALF) return null;
  for (const ch of code) if (!ALPHABET.includes(ch)) return null;
  return code;
}

// salted with the user id, so one search of a leaked table does not cover every user
const hashCode = (userId: string, normalized: string) => createHash('sha256').update(`${userId}:${normalized}`).digest('hex');

function randomCode(): string {
  let code = '';
  for (let i = 0; i < 2 * HALF; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, HALF)}-${code.slice(HALF)}`;
}

export function createRecoveryCodes(deps: { db: Database; clock: Clock }): RecoveryCodes {
  const { db, clock } = deps;
  return {
    async generate(userId, count) {
      if (!Number.isInteger(count) || count < 1 || count > MAX_RECOVERY_CODES) {
        throw new AppError(400, 'recovery_codes.invalid_count', `Between 1 and ${MAX_RECOVERY_CODES} recovery codes can be made`);
      }
      if (!isId(userId) || !(await db.em().findOne(UserEntity, { id: userId }, { fields: ['id'] }))) {
        throw notFound('user.not_found', 'No such user');
      }
      const codes = Array.from({ length: count }, randomCode);
      const createdAt = new Date(clock.now());
      await db.em().transactional(async (em) => {
        await em.nativeDelete(RecoveryCodeEntity, { user: userId });
        for (const code of codes) {
          em.create(RecoveryCodeEntity, { id: randomUUID(), user: userId, codeHash: hashCode(userId, normalizeRecoveryCode(code)!), usedAt: null, createdAt });
        }
      });
      return codes;
    },

    // The database compares the hash (no comparison of secrets happens here), and the
    // conditional update lets only one of several parallel uses through.
    async consume(userId, code) {
      const normalized = normalizeRecoveryCode(code);
      if (!normalized || !isId(userId)) return false;
      const updated = await db
        .em()
        .nativeUpdate(RecoveryCodeEntity, { user: userId, codeHash: hashCode(userId, normalized), usedAt: null }, { usedAt: new Date(clock.now()) });
      return updated === 1;
    },

    async remaining(userId) {
      if (!isId(userId)) return 0;
      return db.em().count(RecoveryCodeEntity, { user: userId, usedAt: null });
    },
  };
}
