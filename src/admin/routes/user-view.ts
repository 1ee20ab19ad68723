import { z } from 'zod';
import { USER_ROLES, USER_STATUSES } from '../../store/entities/user.ts';
import { AppError } from '../../lib/errors.ts';
import type { DirectoryUser } from '../user-directory.ts';
import type { Caller } from '../caller.ts';
import { iso, isoOrNull, timestamp } from '../schemas.ts';

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    emailVerified: z.boolean(),
    firstName: z.string(),
    lastName: z.string(),
    role: z.enum(USER_ROLES),
    status: z.enum(USER_STATUSES),
    mustChangePassword: z.boolean().describe('the next sign-in goes through a password change'),
    resetRequired: z.boolean().describe('the password is compromised: it signs nothing in until the emailed reset link (or a new invitation) sets a new one'),
    createdAt: timestamp,
    lastLoginAt: timestamp.nullable(),
  })
  .meta({ id: 'User' });

export const userParam = z.object({ userId: z.uuid() });

export const userView = (u: DirectoryUser): z.input<typeof userSchema> => ({
  ...u,
  createdAt: iso(u.createdAt),
  lastLoginAt: isoOrNull(u.lastLoginAt),
});

/** an admin who is not an owner changes no owner and makes nobody owner */
export function requireOwnerFor(caller: Caller, target: { role: string }, newRole?: string): void {
  if (caller.role === 'owner') return;
  if (target.role === 'owner' || newRole === 'owner') {
    throw new AppError(403, 'user.owner_only', 'Only an owner may change an owner or make someone owner');
  }
}
