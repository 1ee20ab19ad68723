import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { normalizePassword } from './normalize.ts';
import type { WorkLimiter } from '../lib/work-limiter.ts';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** constant work: verifies against a dummy hash when `hash` is undefined and returns false */
  verify(hash: string | undefined, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
}

export async function createPasswordHasher(params: Argon2Params, limiter?: WorkLimiter): Promise<PasswordHasher> {
  const run = <T>(job: () => Promise<T>) => (limiter ? limiter.run(job) : job());
  const options = {
    type: argon2.argon2id,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  } as const;
  // An unknown account is checked against this, so timing does not tell which accounts exist.
  const dummyHash = await argon2.hash(randomBytes(32).toString('base64'), options);
  return {
    hash: (password) => run(() => argon2.hash(normalizePassword(password), options)),
    async verify(hash, password) {
      const normalized = normalizePassword(password);
      return run(async () => {
        try {
          const ok = await argon2.verify(hash ?? dummyHash, normalized);
          return hash !== undefined && ok;
        } catch {
          return false;
        }
      });
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
  };
}
