import { defineEntity, p } from '@mikro-orm/core';

/**
 * Unlocks written by `latchkey user unlock` for the embedded default, whose lockout counters
 * live inside the server process: the server honours a release newer than its lock.
 */
export const LockoutReleaseEntity = defineEntity({
  name: 'LockoutRelease',
  tableName: 'lockout_releases',
  properties: {
    key: p.string().length(128).primary(),
    releasedAt: p.datetime(),
  },
});
