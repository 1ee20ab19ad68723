import type { Database } from '../database.ts';
import { LockoutReleaseEntity } from '../entities/index.ts';
import type { LockReleases } from './memory-counters.ts';

export function createDatabaseLockReleases(db: Database): LockReleases {
  return {
    async record(userKey, atMs) {
      const em = db.em();
      await em.upsert(LockoutReleaseEntity, { key: userKey, releasedAt: new Date(atMs) });
    },
    async releasedSince(userKey, sinceMs) {
      const row = await db.em().findOne(LockoutReleaseEntity, { key: userKey });
      return row !== null && row.releasedAt.getTime() >= sinceMs;
    },
  };
}
