import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { TrustedDeviceEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { devicePolicySchema, type DevicePolicy } from '../policy/tenant-policy.ts';
import { canonicalIp, deviceAddressMatches, deviceTrustEnds, type DeviceRecognition } from '../policy/device-trust.ts';
import { describeUserAgent } from './user-agent.ts';

/** a remembered device as callers see it: never with its token or the token's hash */
export interface Device {
  id: string;
  name: string;
  /** browser family, such as 'Firefox' */
  family: string;
  os: string;
  lastIp: string;
  lastUsedAt: Date;
  createdAt: Date;
  expiresAt: Date;
  /** the only address it counts from ('browser+ip' binding), else null */
  boundIp: string | null;
}

export interface RememberInput {
  userId: string;
  tenantId: string;
  userAgent: string | undefined;
  ip: string;
  /** the user's name for it; default: suggested from the user agent, such as 'Firefox on Windows' */
  name?: string | undefined;
  policy: DevicePolicy;
  /** the browser's current device cookie, if any: that device of the same user is replaced */
  replacing?: string | undefined;
}

export interface Remembered {
  /** for the cookie only: it is not stored and cannot be read back */
  token: string;
  device: Device;
  /** the cookie's lifetime: the tenant's trust period */
  maxAgeSeconds: number;
}

export interface RecogniseInput {
  token: string | undefined;
  userId: string;
  tenantId: string;
  userAgent: string | undefined;
  ip: string;
  policy: DevicePolicy;
}

/** the device only when reason is 'ok'; any other reason counts as no device */
export interface Recognition {
  device?: Device;
  reason: DeviceRecognition;
}

export interface DeviceService {
  remember(input: RememberInput): Promise<Remembered>;
  /**
   * Which of the user's devices the cookie names. Refused ('ua-mismatch') when the browser
   * family or the OS differs from the one remembered (versions may change); with the tenant's
   * 'browser+ip' binding, from another address ('ip-mismatch'). On 'ok' records the use.
   */
  recognise(input: RecogniseInput): Promise<Recognition>;
  /**
   * The user's unexpired device this cookie value names, without checking the browser and
   * without recording a use: for marking "this device" on the account page and clearing its cookie.
   */
  findByToken(userId: string, token: string | undefined): Promise<Device | undefined>;
  /** the user's devices that have not expired, most recently used first */
  list(userId: string): Promise<Device[]>;
  rename(userId: string, id: string, name: string): Promise<Device>;
  revoke(userId: string, id: string): Promise<void>;
  /** every device of the user (password change or reset, admin, "forget all"); returns how many */
  revokeAll(userId: string): Promise<number>;
}

const DAY_SECONDS = 86_400;
/** a user remembering browsers without end keeps this many, dropping the least recently used */
const MAX_DEVICES_PER_USER = 50;
/** 32 random bytes in base64url */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

const isId = (id: unknown): id is string => z.guid().safeParse(id).success;
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const deviceNotFound = () => notFound('device.not_found', 'No such device');

type DeviceRow = {
  id: string;
  name: string;
  uaFamily: string;
  os: string;
  lastIp: string;
  boundIp?: string | null;
  lastUsedAt: Date;
  createdAt: Date;
  expiresAt: Date;
};
const toDevice = (d: DeviceRow): Device => ({
  id: d.id,
  name: d.name,
  family: d.uaFamily,
  os: d.os,
  lastIp: d.lastIp,
  lastUsedAt: d.lastUsedAt,
  createdAt: d.createdAt,
  expiresAt: d.expiresAt,
  boundIp: d.boundIp ?? null,
});

function cleanName(input: unknown): string {
  const name =
    typeof input === 'string'
      ? input
          .replace(/\p{Cc}/gu, ' ')
          .replace(/\s+/g, ' ')
          .trim()
      : '';
  if (!name || name.length > 64) throw new AppError(400, 'device.invalid_name', 'A device name has 1 to 64 characters');
  return name;
}

function requireIp(ip: string): string {
  const canonical = canonicalIp(ip);
  if (!canonical) throw new AppError(400, 'device.invalid_ip', 'The client address could not be read');
  return canonical;
}

export function createDeviceService(deps: { db: Database; clock: Clock }): DeviceService {
  const { db, clock } = deps;
  const now = () => new Date(clock.now());

  /** the user's oldest devices beyond the cap, and those already expired, go */
  async function prune(userId: string) {
    const em = db.em();
    await em.nativeDelete(TrustedDeviceEntity, { user: userId, expiresAt: { $lte: now() } });
    const keep = await em.find(
      TrustedDeviceEntity,
      { user: userId },
      { fields: ['id'], orderBy: { lastUsedAt: 'desc', id: 'asc' }, limit: MAX_DEVICES_PER_USER - 1 },
    );
    if (keep.length === MAX_DEVICES_PER_USER - 1) {
      await em.nativeDelete(TrustedDeviceEntity, { user: userId, id: { $nin: keep.map((d) => d.id) } });
    }
  }

  const service: DeviceService = {
    async remember(input) {
      const policy = devicePolicySchema.parse(input.policy);
      const name = input.name === undefined ? undefined : cleanName(input.name);
      const ip = requireIp(input.ip);
      if (
        !isId(input.userId) ||
        !isId(input.tenantId) ||
        !(await db.em().findOne(UserEntity, { id: input.userId, tenant: input.tenantId }, { fields: ['id'] }))
      ) {
        throw notFound('user.not_found', 'No such user');
      }
      if (typeof input.replacing === 'string' && TOKEN_FORMAT.test(input.replacing)) {
        await db.em().nativeDelete(TrustedDeviceEntity, { tokenHash: hashToken(input.replacing), user: input.userId });
      }
      await prune(input.userId);
      const ua = describeUserAgent(input.userAgent);
      const token = randomBytes(32).toString('base64url');
      const createdAt = now();
      const maxAgeSeconds = policy.trustDays * DAY_SECONDS;
      const em = db.em();
      const row = em.create(TrustedDeviceEntity, {
        id: randomUUID(),
        user: input.userId,
        tenant: input.tenantId,
        tokenHash: hashToken(token),
        name: name ?? ua.suggestedName,
        uaFamily: ua.family,
        os: ua.os,
        ip,
        lastIp: ip,
        boundIp: policy.binding === 'browser+ip' ? ip : null,
        lastUsedAt: createdAt,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + maxAgeSeconds * 1000),
      });
      await em.flush();
      return { token, device: toDevice(row), maxAgeSeconds };
    },

    async recognise(input) {
      const policy = devicePolicySchema.parse(input.policy);
      if (input.token === undefined || input.token === '') return { reason: 'no-cookie' };
      if (typeof input.token !== 'string' || !TOKEN_FORMAT.test(input.token)) return { reason: 'unknown' };
      // found by its hash through the unique index: no secret is compared in JavaScript
      const row = await db.em().findOne(TrustedDeviceEntity, { tokenHash: hashToken(input.token) });
      if (!row) return { reason: 'unknown' };
      if (row.user.id !== input.userId || row.tenant.id !== input.tenantId) return { reason: 'other-user' };
      const at = now();
      if (!(at.getTime() < deviceTrustEnds(row, policy))) return { reason: 'expired' };
      const ua = describeUserAgent(input.userAgent);
      if (ua.family !== row.uaFamily || ua.os !== row.os) return { reason: 'ua-mismatch' };
      if (!deviceAddressMatches(row.boundIp ?? null, input.ip, policy)) return { reason: 'ip-mismatch' };
      const lastIp = canonicalIp(input.ip) ?? row.lastIp;
      await db.em().nativeUpdate(TrustedDeviceEntity, { id: row.id }, { lastUsedAt: at, lastIp });
      return { reason: 'ok', device: { ...toDevice(row), lastUsedAt: at, lastIp } };
    },

    async findByToken(userId, token) {
      if (!isId(userId) || typeof token !== 'string' || !TOKEN_FORMAT.test(token)) return undefined;
      const row = await db.em().findOne(TrustedDeviceEntity, { tokenHash: hashToken(token), user: userId, expiresAt: { $gt: now() } });
      return row ? toDevice(row) : undefined;
    },

    async list(userId) {
      if (!isId(userId)) return [];
      const rows = await db.em().find(TrustedDeviceEntity, { user: userId, expiresAt: { $gt: now() } }, { orderBy: { lastUsedAt: 'desc', id: 'asc' } });
      return rows.map(toDevice);
    },

    async rename(userId, id, name) {
      if (!isId(userId) || !isId(id)) throw deviceNotFound();
      const clean = cleanName(name);
      const em = db.em();
      const row = await em.findOne(TrustedDeviceEntity, { id, user: userId });
      if (!row) throw deviceNotFound();
      row.name = clean;
      await em.flush();
      return toDevice(row);
    },

    async revoke(userId, id) {
      if (!isId(userId) || !isId(id)) throw deviceNotFound();
      if ((await db.em().nativeDelete(TrustedDeviceEntity, { id, user: userId })) !== 1) throw deviceNotFound();
    },

    async revokeAll(userId) {
      if (!isId(userId)) return 0;
      return db.em().nativeDelete(TrustedDeviceEntity, { user: userId });
    },
  };
  return service;
}
