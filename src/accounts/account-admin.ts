import { z } from 'zod';
import { LockMode, type EntityManager } from '@mikro-orm/core';
import type { Database } from '../store/database.ts';
import { TenantEntity, UserEntity } from '../store/entities/index.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import type { AuditEvent } from './audit.ts';

/** Who asks and from where: every lifecycle change is audited with these. */
export interface ActorFacts {
  /** 'cli', 'system', 'admin:<userId>', 'user:<userId>' (or another '<kind>:<id>' of the caller's) */
  actor: string;
  ip?: string;
  userAgent?: string;
}

const ACTOR_FORMAT = /^[a-z]{2,16}(:[A-Za-z0-9_.@-]{1,80})?$/;

/** the audit fields of the request; refuses an actor the audit log could not store */
export function auditFacts(input: ActorFacts): Pick<AuditEvent, 'actor' | 'ip' | 'userAgent'> {
  if (typeof input.actor !== 'string' || !ACTOR_FORMAT.test(input.actor)) {
    throw new AppError(400, 'request.invalid_actor', 'actor must look like cli, system, admin:<id> or user:<id>');
  }
  return {
    actor: input.actor,
    ...(typeof input.ip === 'string' && input.ip ? { ip: input.ip } : {}),
    ...(typeof input.userAgent === 'string' && input.userAgent ? { userAgent: input.userAgent } : {}),
  };
}

export type UserRecord = NonNullable<Awaited<ReturnType<typeof findUserRecord>>>;

function findUserRecord(em: EntityManager, userId: string) {
  return em.findOne(UserEntity, { id: userId });
}

/** the user entity, or 404 (also for ids that are not UUIDs) */
export async function loadUser(em: EntityManager, userId: unknown): Promise<UserRecord> {
  const id = z.guid().safeParse(userId);
  const user = id.success ? await findUserRecord(em, id.data) : null;
  if (!user) throw notFound('user.not_found', 'No such user');
  return user;
}

/**
 * Refuses a change that would leave the tenant without an active owner. Runs inside the
 * caller's transaction with the tenant row locked (PostgreSQL), so two admins demoting the
 * last two owners at once cannot both pass.
 */
export async function assertAnotherOwner(db: Database, em: EntityManager, tenantId: string, userId: string): Promise<void> {
  await em.findOne(TenantEntity, { id: tenantId }, db.kind === 'postgres' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  const others = await em.count(UserEntity, { tenant: tenantId, role: 'owner', status: 'active', id: { $ne: userId } });
  if (others === 0) throw conflict('user.last_owner', 'The tenant must keep at least one active owner');
}

/** a first or last name: trimmed, at most 100 characters, no control characters */
export const personNameSchema = z
  .string()
  .trim()
  .max(100, 'at most 100 characters')
  .refine((s) => !/\p{Cc}/u.test(s), 'no control characters');

export function parseName(value: unknown, field: 'firstName' | 'lastName'): string {
  const parsed = personNameSchema.safeParse(value);
  if (!parsed.success) throw new AppError(400, 'user.invalid_name', `${field}: ${parsed.error.issues[0]?.message ?? 'must be text'}`);
  return parsed.data;
}
