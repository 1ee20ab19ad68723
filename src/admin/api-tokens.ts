import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { ApiTokenEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import { ADMIN_ROLES, ADMIN_SCOPES } from './scopes.ts';
import { formatToken, hashSecret, newSecret, parseToken, secretMatches } from './token-secret.ts';

export const apiTokenInputSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(100),
    scopes: z
      .array(z.enum(ADMIN_SCOPES))
      .min(1)
      .max(ADMIN_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'list each scope once'),
    /** days until the token stops working */
    expiresInDays: z.number().int().min(1).max(365).default(90),
  })
  .strict();
export type ApiTokenInput = z.input<typeof apiTokenInputSchema>;

export type ApiTokenStatus = 'active' | 'expired' | 'revoked';

/** a token as its owner sees it: never the secret or its hash */
export interface ApiToken {
  id: string;
  userId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  status: ApiTokenStatus;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** after a rotation: until when the previous secret still works */
  previousValidUntil: Date | null;
}

/** who a valid bearer token speaks for */
export interface TokenHolder {
  tokenId: string;
  userId: string;
  tenantId: string;
  role: string;
  scopes: string[];
}

export interface ApiTokenService {
  /** only for an active owner or admin; the token value is returned this once */
  create(userId: string, input: ApiTokenInput, actor: string): Promise<{ token: string; apiToken: ApiToken }>;
  /** the user's tokens, newest first (the most recent 100) */
  list(userId: string): Promise<ApiToken[]>;
  /** a new secret; the previous one keeps working for the grace period */
  rotate(userId: string, tokenId: string, actor: string): Promise<{ token: string; apiToken: ApiToken }>;
  revoke(userId: string, tokenId: string, actor: string): Promise<ApiToken>;
  /** every live token of the user (a compromised account): each revocation audited; how many */
  revokeAll(userId: string, actor: string): Promise<number>;
  /** the holder of a live token of an active user (any role: the caller decides), else undefined */
  authenticate(value: string): Promise<TokenHolder | undefined>;
}

export interface ApiTokenOptions {
  /** how long the previous secret works after a rotation [10 minutes] */
  graceMs?: number;
  /** live tokens one user may hold [50] */
  maxPerUser?: number;
}

/** lastUsedAt is written at most this often per token: a busy token would otherwise write on every call */
const LAST_USED_EVERY_MS = 60_000;

type Row = InstanceType<(typeof ApiTokenEntity)['class']>;

export function createApiTokenService(deps: { db: Database; clock: Clock; audit: AuditLog } & ApiTokenOptions): ApiTokenService {
  const { db, clock, audit } = deps;
  const graceMs = deps.graceMs ?? 10 * 60_000;
  const maxPerUser = deps.maxPerUser ?? 50;
  const now = () => new Date(clock.now());
  const isId = (v: unknown): v is string => z.uuid().safeParse(v).success;

  const view = (row: Row): ApiToken => {
    const at = clock.now();
    return {
      id: row.id,
      userId: row.user.id,
      tenantId: row.tenant.id,
      name: row.name,
      scopes: [...row.scopes],
      status: row.revokedAt ? 'revoked' : row.expiresAt.getTime() <= at ? 'expired' : 'active',
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt ?? null,
      revokedAt: row.revokedAt ?? null,
      previousValidUntil: row.previousHash && row.graceUntil && row.graceUntil.getTime() > at ? row.graceUntil : null,
    };
  };

  const findOwn = async (em: ReturnType<Database['em']>, userId: string, tokenId: string) => {
    const row = isId(tokenId) && isId(userId) ? await em.findOne(ApiTokenEntity, { id: tokenId, user: userId }) : null;
    if (!row) throw notFound('token.not_found', 'No such token of yours');
    return row;
  };
  const record = (row: Row, action: 'api_token.created' | 'api_token.rotated' | 'api_token.revoked', actor: string, details: Record<string, unknown> = {}) =>
    audit.record({ action, tenantId: row.tenant.id, userId: row.user.id, actor, details: { tokenId: row.id, name: row.name, ...details } });

  return {
    async create(userId, input, actor) {
      const parsed = apiTokenInputSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AppError(400, 'token.invalid', `${issue.path.join('.') || 'token'} ${issue.message}`);
      }
      const em = db.em();
      const user = isId(userId) ? await em.findOne(UserEntity, { id: userId }) : null;
      if (!user) throw notFound('user.not_found', 'No such user');
      if (user.status !== 'active' || !ADMIN_ROLES.includes(user.role)) {
        throw new AppError(403, 'token.not_admin', 'Only an active owner or admin may hold admin API tokens');
      }
      const live = await em.count(ApiTokenEntity, { user: userId, revokedAt: null, expiresAt: { $gt: now() } });
      if (live >= maxPerUser) throw conflict('token.limit', `A user may hold at most ${maxPerUser} live tokens; revoke one first`);
      const secret = newSecret();
      const row = em.create(ApiTokenEntity, {
        id: randomUUID(),
        user,
        tenant: user.tenant,
        name: parsed.data.name,
        scopes: parsed.data.scopes,
        tokenHash: hashSecret(secret),
        previousHash: null,
        graceUntil: null,
        expiresAt: new Date(clock.now() + parsed.data.expiresInDays * 86_400_000),
        createdAt: now(),
        lastUsedAt: null,
        revokedAt: null,
      });
      await em.flush();
      await record(row, 'api_token.created', actor, { scopes: row.scopes, expiresAt: row.expiresAt.toISOString() });
      return { token: formatToken(row.id, secret), apiToken: view(row) };
    },

    async list(userId) {
      if (!isId(userId)) return [];
      const rows = await db.em().find(ApiTokenEntity, { user: userId }, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: 100 });
      return rows.map(view);
    },

    async rotate(userId, tokenId, actor) {
      const em = db.em();
      const row = await findOwn(em, userId, tokenId);
      const state = view(row).status;
      if (state !== 'active') throw conflict(`token.${state}`, `The token is ${state}; create a new one`);
      const secret = newSecret();
      row.previousHash = row.tokenHash;
      row.graceUntil = new Date(clock.now() + graceMs);
      row.tokenHash = hashSecret(secret);
      await em.flush();
      await record(row, 'api_token.rotated', actor, { previousValidUntil: row.graceUntil.toISOString() });
      return { token: formatToken(row.id, secret), apiToken: view(row) };
    },

    async revoke(userId, tokenId, actor) {
      const em = db.em();
      const row = await findOwn(em, userId, tokenId);
      if (row.revokedAt) return view(row);
      row.revokedAt = now();
      row.previousHash = null;
      row.graceUntil = null;
      await em.flush();
      await record(row, 'api_token.revoked', actor);
      return view(row);
    },

    async revokeAll(userId, actor) {
      const em = db.em();
      const live = await em.find(ApiTokenEntity, { user: userId, revokedAt: null, expiresAt: { $gt: now() } });
      for (const row of live) {
        row.revokedAt = now();
        row.previousHash = null;
        row.graceUntil = null;
      }
      await em.flush();
      for (const row of live) await record(row, 'api_token.revoked', actor, { reason: 'reset-required' });
      return live.length;
    },

    async authenticate(value) {
      const parsed = parseToken(value);
      if (!parsed) return undefined;
      const row = await db.em().findOne(ApiTokenEntity, { id: parsed.id }, { populate: ['user'] });
      const at = clock.now();
      if (!row || row.revokedAt || row.expiresAt.getTime() <= at || row.user.status !== 'active') return undefined;
      const current = secretMatches(parsed.secret, row.tokenHash);
      const previous = secretMatches(parsed.secret, row.previousHash) && !!row.graceUntil && row.graceUntil.getTime() > at;
      if (!current && !previous) return undefined;
      if (!row.lastUsedAt || at - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
        // conditional, so replicas racing on one token write once
        const stale = new Date(at - LAST_USED_EVERY_MS);
        await db.em().nativeUpdate(ApiTokenEntity, { id: row.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: stale } }] }, { lastUsedAt: new Date(at) });
      }
      return { tokenId: row.id, userId: row.user.id, tenantId: row.tenant.id, role: row.user.role, scopes: [...row.scopes] };
    },
  };
}
