import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { SigningKeyEntity } from '../store/entities/index.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import type { Clock } from '../lib/clock.ts';

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
type SigningAlg = (typeof SIGNING_ALGS)[number];
const SEAL_PURPOSE = 'signing-key';

export type PrivateJwk = Record<string, unknown> & { kid: string; alg: string; use: 'sig'; key_ops?: string[] };

export interface SigningKeyService {
  /** creates an active key for every algorithm that has none; returns the kids created */
  ensureActiveKeys(): Promise<string[]>;
  /** creates a new active key per algorithm; the old ones only verify until publishUntil */
  rotate(): Promise<{ created: string[]; retired: string[]; publishedUntil: string }>;
  /** private JWKs to configure oidc-provider: active keys first, retired keys verify-only */
  loadJwks(): Promise<PrivateJwk[]>;
  /** a cheap fingerprint of the published set, to notice rotation by another process */
  fingerprint(): Promise<string>;
}

export interface SigningKeyOptions {
  db: Database;
  box: SealedBox;
  clock: Clock;
  /** how long a retired key stays published: the longest lifetime of anything it signed */
  retiredKeyPublishSeconds: number;
}

export function createSigningKeyService(options: SigningKeyOptions): SigningKeyService {
  const { db, box, clock } = options;

  function generate(alg: SigningAlg) {
    const kid = randomBytes(16).toString('base64url');
    const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
    const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
    return {
      kid,
      alg,
      publicJwk,
      privateSealed: box.seal(JSON.stringify(privateJwk), SEAL_PURPOSE),
      createdAt: new Date(clock.now()),
      retiredAt: null,
      publishUntil: null,
    };
  }

  async function activeKeys() {
    return db.em().find(SigningKeyEntity, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
  }

  async function publishedKeys() {
    const now = new Date(clock.now());
    return db.em().find(SigningKeyEntity, { $or: [{ publishUntil: null }, { publishUntil: { $gt: now } }] }, { orderBy: { createdAt: 'desc', kid: 'asc' } });
  }

  return {
    async ensureActiveKeys() {
      const have = new Set((await activeKeys()).map((k) => k.alg));
      const created: string[] = [];
      for (const alg of SIGNING_ALGS.filter((a) => !have.has(a))) {
        const em = db.em();
        const key = em.create(SigningKeyEntity, generate(alg));
        try {
          await em.flush();
          created.push(key.kid);
        } catch (err) {
          // another replica starting at the same moment created this algorithm's key first
          if (!(err instanceof UniqueConstraintViolationException)) throw err;
        }
      }
      return created;
    },

    async rotate() {
      const now = clock.now();
      const publishUntil = new Date(now + options.retiredKeyPublishSeconds * 1000);
      const created: string[] = [];
      const retired: string[] = [];
      await db.em().transactional(async (tx) => {
        // two rotations at once run one after the other (SQLite writes one at a time anyway)
        if (db.kind === 'postgres') await tx.getConnection().execute('lock table "signing_keys" in exclusive mode', [], 'run', tx.getTransactionContext());
        // retire before creating: one key per algorithm may be active at any moment
        retired.push(...(await tx.find(SigningKeyEntity, { retiredAt: null })).map((k) => k.kid));
        await tx.nativeUpdate(SigningKeyEntity, { kid: { $in: retired } }, { retiredAt: new Date(now), publishUntil });
        for (const alg of SIGNING_ALGS) created.push(tx.create(SigningKeyEntity, generate(alg)).kid);
      });
      return { created, retired, publishedUntil: publishUntil.toISOString() };
    },

    async loadJwks() {
      const keys = await publishedKeys();
      const active = keys.filter((k) => !k.retiredAt);
      const retired = keys.filter((k) => k.retiredAt);
      return [...active, ...retired].map((k) => {
        const jwk = JSON.parse(box.open(k.privateSealed, SEAL_PURPOSE)) as PrivateJwk;
        return k.retiredAt ? { ...jwk, key_ops: ['verify'] } : jwk;
      });
    },

    async fingerprint() {
      const keys = await publishedKeys();
      return keys.map((k) => `${k.kid}:${k.retiredAt ? 'r' : 'a'}`).join(',');
    },
  };
}
