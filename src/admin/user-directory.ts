import { raw } from '@mikro-orm/core';
import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import type { UserRole, UserStatus } from '../store/entities/user.ts';
import type { User, UserRegionalSettings } from '../accounts/users.ts';
import { AppError, notFound } from '../lib/errors.ts';

/** a user as an admin sees it */
export interface DirectoryUser extends Omit<User, 'tenantId' | keyof UserRegionalSettings> {
  mustChangePassword: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface DirectoryQuery {
  /** prefix of the email, first name or last name, case-insensitive */
  search?: string | undefined;
  role?: UserRole | undefined;
  status?: UserStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Reads a tenant's users for the admin API; another tenant's user is as unknown as a missing one. */
export interface UserDirectory {
  list(tenantId: string, query: DirectoryQuery): Promise<{ users: DirectoryUser[]; nextCursor: string | null }>;
  get(tenantId: string, userId: string): Promise<DirectoryUser>;
}

type Row = InstanceType<(typeof UserEntity)['class']>;
const toDirectoryUser = (u: Row): DirectoryUser => ({
  id: u.id,
  email: u.email,
  emailVerified: u.emailVerified,
  firstName: u.firstName,
  lastName: u.lastName,
  role: u.role,
  status: u.status,
  mustChangePassword: u.mustChangePassword,
  resetRequired: (u.resetRequiredAt ?? null) !== null,
  createdAt: u.createdAt,
  lastLoginAt: u.lastLoginAt ?? null,
});

/** LIKE with '!' as the escape character: PostgreSQL and SQLite both take an explicit ESCAPE */
const likePrefix = (text: string) => `${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

export function createUserDirectory(db: Database): UserDirectory {
  return {
    async list(tenantId, query) {
      const after = query.cursor === undefined ? undefined : readCursor(query.cursor);
      const pattern = query.search ? likePrefix(query.search.normalize('NFKC').trim()) : undefined;
      const rows = await db.em().find(
        UserEntity,
        {
          tenant: tenantId,
          ...(query.role ? { role: query.role } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(after ? { email: { $gt: after } } : {}),
          ...(pattern
            ? {
                [raw(
                  (a) => `(${a}.email like ? escape '!' or lower(${a}.first_name) like ? escape '!' or lower(${a}.last_name) like ? escape '!')`,
                  [pattern, pattern, pattern],
                )]: [],
              }
            : {}),
        },
        { orderBy: { email: 'asc' }, limit: query.limit + 1 },
      );
      const page = rows.slice(0, query.limit);
      return {
        users: page.map(toDirectoryUser),
        // emails are unique in a tenant, so the last one shown is a complete position
        nextCursor: rows.length > query.limit ? Buffer.from(page.at(-1)!.email).toString('base64url') : null,
      };
    },

    async get(tenantId, userId) {
      const row = /^[0-9a-f-]{36}$/i.test(userId) ? await db.em().findOne(UserEntity, { id: userId, tenant: tenantId }) : null;
      if (!row) throw notFound('user.not_found', 'No such user in this tenant');
      return toDirectoryUser(row);
    },
  };
}

function readCursor(cursor: string): string {
  const email = Buffer.from(cursor, 'base64url').toString();
  if (!email || email.length > 320 || Buffer.from(email).toString('base64url') !== cursor) {
    throw new AppError(400, 'users.invalid_cursor', 'The cursor is not one this API returned');
  }
  return email;
}
