import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import { USER_ROLES, type UserRole } from '../store/entities/user.ts';
import { AppError, conflict } from '../lib/errors.ts';
import type { AuditLog } from './audit.ts';
import { toUser, type User } from './users.ts';
import { assertAnotherOwner, auditFacts, loadUser, parseName, type ActorFacts } from './account-admin.ts';

export interface ProfileService {
  /**
   * First and last name (by an admin, or by the user: actor 'user:<id>'). Each given name is
   * trimmed, at most 100 characters; at least one must be given. Audited with before/after
   * when something changed.
   */
  updateProfile(input: { userId: string; firstName?: string; lastName?: string } & ActorFacts): Promise<User>;
  /**
   * The user's role (owner, admin, member); 409 user.last_owner when it would leave the tenant
   * without an active owner. Audited with before/after when it changed.
   */
  setRole(input: { userId: string; role: string } & ActorFacts): Promise<User>;
}

export function createProfileService(deps: { db: Database; audit: AuditLog }): ProfileService {
  const { db, audit } = deps;
  return {
    async updateProfile(input) {
      const facts = auditFacts(input);
      if (input.firstName === undefined && input.lastName === undefined) {
        throw new AppError(400, 'user.nothing_to_change', 'Give firstName, lastName or both');
      }
      const next = {
        ...(input.firstName !== undefined ? { firstName: parseName(input.firstName, 'firstName') } : {}),
        ...(input.lastName !== undefined ? { lastName: parseName(input.lastName, 'lastName') } : {}),
      };
      const em = db.em();
      const entity = await loadUser(em, input.userId);
      const before: Record<string, string> = {};
      const after: Record<string, string> = {};
      for (const [field, value] of Object.entries(next) as ['firstName' | 'lastName', string][]) {
        if (entity[field] === value) continue;
        before[field] = entity[field];
        after[field] = value;
        entity[field] = value;
      }
      if (!Object.keys(after).length) return toUser(entity);
      await em.flush();
      await audit.record({ ...facts, tenantId: entity.tenant.id, userId: entity.id, action: 'user.profile_updated', details: { before, after } });
      return toUser(entity);
    },

    async setRole(input) {
      const facts = auditFacts(input);
      if (!(USER_ROLES as readonly unknown[]).includes(input.role)) {
        throw new AppError(400, 'user.invalid_role', `Role must be one of ${USER_ROLES.join(', ')}`);
      }
      const role = input.role as UserRole;
      const entity = await loadUser(db.em(), input.userId);
      const previous = entity.role;
      if (previous === role) return toUser(entity);
      const updated = await db.em().transactional(async (em) => {
        if (previous === 'owner' && entity.status === 'active') await assertAnotherOwner(db, em, entity.tenant.id, entity.id);
        return em.nativeUpdate(UserEntity, { id: entity.id, role: previous }, { role });
      });
      if (updated !== 1) throw conflict('user.changed', 'The user was changed at the same time; try again');
      await audit.record({
        ...facts,
        tenantId: entity.tenant.id,
        userId: entity.id,
        action: 'user.role_changed',
        details: { before: { role: previous }, after: { role } },
      });
      return { ...toUser(entity), role };
    },
  };
}
