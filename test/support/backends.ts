import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type BackendKind = 'postgres' | 'embedded';

/** Settings for one isolated backend: a fresh PostgreSQL database and Redis prefix, or a fresh DATA_DIR. */
export interface Backend {
  kind: BackendKind;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function createBackend(kind: BackendKind): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const common = {
    DATA_DIR: dataDir,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // fast hashing keeps the suite quick; the bench measures the real parameters
    ARGON2_MEMORY_KIB: '7168',
    ARGON2_ITERATIONS: '1',
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEMO_DATA: 'off',
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES: 'true',
  };
  if (kind === 'embedded') {
    return { kind, env: common, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const prefix = `lktest:${randomBytes(4).toString('hex')}:`;
  return {
    kind,
    env: { ...common, DATABASE_URL: url.toString(), REDIS_URL, REDIS_PREFIX: prefix },
    async dispose() {
      await adminQuery(`drop database if exists ${name} with (force)`);
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Which backends the shared integration suites run on. */
export const BACKENDS: BackendKind[] = ['postgres', 'embedded'];
