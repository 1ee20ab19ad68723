import { randomUUID } from 'node:crypto';
import { raw } from '@mikro-orm/core';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { PasswordCredentialEntity, UserEntity } from '../store/entities/index.ts';
import { USER_ROLES, type DateFormat, type TimeFormat, type UserRole, type UserStatus } from '../store/entities/user.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { emailSchema } from './normalize.ts';
import type { PasswordHasher } from './password-hasher.ts';

export interface User extends UserRegionalSettings {
  id: string;
  tenantId: string;
  email: string;
  emailVerified: boolean;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  /** the password is compromised: it signs nothing in until the emailed reset link sets a new one */
  resetRequired: boolean;
}

/** regional settings (null: automatic): the language of pages and emails, the zone and formats of dates */
export interface UserRegionalSettings {
  locale: string | null;
  emailLocale: string | null;
  timeZone: string | null;
  dateFormat: DateFormat;
  timeFormat: TimeFormat;
}

/** a user whose password was just verified, with what the sign-in needs to know about it */
export interface VerifiedUser extends User {
  mustChangePassword: boolean;
  passwordChangedAt: Date;
  /** when the user last completed a second factor (null: never, or before this was recorded) */
  lastSecondFactorAt: Date | null;
}

/** the verified user, or on failure the user the email named (if any), for audit and lock mail */
/** `resetRequired`: the right password of an account awaiting its reset (refused like any failure, not counted as a guess) */
export type PasswordCheck = { ok: true; user: VerifiedUser } | { ok: false; user?: User; resetRequired?: true };

/**
 * Whose password a sign-in through an application of a tenant checks: its own user with that
 * email; else, when the tenant is a reseller, the one child tenant's user with it. Several
 * children with the email make it ambiguous, and the sign-in is refused like a wrong password
 * (no child can capture a sibling's or the reseller's own sign-ins, and none is guessed).
 */
export type SignInSubject = { kind: 'user'; userId: string; tenantId: string } | { kind: 'none' } | { kind: 'ambiguous' };

export interface UserService {
  create(input: { tenantId: string; email: string; password: string; role?: string; firstName?: string; lastName?: string }): Promise<User>;
  findById(id: string): Promise<User | undefined>;
  /**
   * For the redirect that ends a sign-in: the user as this process's password check read it
   * less than RECENT_MS ago, else a fresh read (saves a read per sign-in).
   */
  findRecent(id: string): Promise<User | undefined>;
  findByEmail(tenantId: string, email: string): Promise<User | undefined>;
  /** who a sign-in with this email through an application of the tenant is for (see SignInSubject) */
  findSignInSubject(tenantId: string, email: string): Promise<SignInSubject>;
  /**
   * The password step: returns the user only when the email names an active user for a sign-in
   * through the tenant's applications (its own, or one child's of a reseller: SignInSubject)
   * and the password matches. Always does one argon2 verification.
   */
  verifyPassword(tenantId: string, email: string, password: string): Promise<PasswordCheck>;
  /**
   * A first factor other than the password named this user (a passkey): the user as verifyPassword
   * returns one, when active and verified, with the password's age for the change-password rules.
   */
  signInAccount(userId: string): Promise<VerifiedUser | undefined>;
  recordLogin(userId: string): Promise<void>;
  /** after every completed second factor: a remembered device asks again once this is older than the re-check period */
  recordSecondFactor(userId: string): Promise<void>;
}

type UserRow = {
  id: string;
  tenant: { id: string };
  email: string;
  emailVerified: boolean;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  locale?: string | null;
  emailLocale?: string | null;
  timeZone?: string | null;
  dateFormat?: DateFormat;
  timeFormat?: TimeFormat;
  resetRequiredAt?: Date | null;
};
export const toUser = (u: UserRow): User => ({
  id: u.id,
  tenantId: u.tenant.id,
  email: u.email,
  emailVerified: u.emailVerified,
  firstName: u.firstName,
  lastName: u.lastName,
  role: u.role,
  status: u.status,
  resetRequired: (u.resetRequiredAt ?? null) !== null,
  locale: u.locale ?? null,
  emailLocale: u.emailLocale ?? null,
  timeZone: u.timeZone ?? null,
  dateFormat: u.dateFormat ?? 'auto',
  timeFormat: u.timeFormat ?? 'auto',
});

/** The email and role of a user about to be created (password or invitation), or a 400. */
export function parseNewUser(input: { email: string; role?: string | undefined }): { email: string; role: UserRole } {
  const email = emailSchema.safeParse(input.email);
  if (!email.success) throw new AppError(400, 'user.invalid_email', 'Email must be a valid email address');
  const role = input.role ?? 'member';
  if (!(USER_ROLES as readonly string[]).includes(role)) {
    throw new AppError(400, 'user.invalid_role', `Role must be one of ${USER_ROLES.join(', ')}`);
  }
  return { email: email.data, role: role as UserRole };
}

/** short enough that a change made elsewhere is seen by the next sign-in, like a request in flight */
const RECENT_MS = 2000;

export function createUserService(deps: { db: Database; hasher: PasswordHasher; clock: Clock }): UserService {
  const { db, hasher, clock } = deps;
  const recent = new Map<string, { at: number; user: User }>();
  const remember = (user: User) => {
    if (recent.size >= 1000) recent.clear();
    recent.set(user.id, { at: clock.now(), user });
  };
  /** the credentials (with users) a sign-in through the tenant's applications may check, and which one it checks */
  const signInCredential = async (tenantId: string, email: string) => {
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return { kind: 'none' } as const;
    // one joined query for the credential and its user; the tenant and its children come from a
    // subquery so each is an index lookup on (tenant_id, email) rather than a scan of the users.
    // At most one row per tenant, since emails are unique within a tenant.
    const rows = await db.em().find(
      PasswordCredentialEntity,
      {
        user: {
          email: parsed.data,
          [raw((u) => `${u}.tenant_id in (select t.id from tenants t where t.id = ? or t.parent_id = ?)`, [tenantId, tenantId])]: [],
        },
      },
      { populate: ['user'] },
    );
    const own = rows.find((r) => r.user.tenant.id === tenantId);
    if (own) return { kind: 'user', credential: own } as const;
    if (rows.length > 1) return { kind: 'ambiguous' } as const;
    return rows[0] ? ({ kind: 'user', credential: rows[0] } as const) : ({ kind: 'none' } as const);
  };

  const service: UserService = {
    async create(input) {
      const { email, role } = parseNewUser(input);
      if (!input.password) throw new AppError(400, 'user.password_required', 'A password is required');
      const em = db.em();
      if (await em.findOne(UserEntity, { tenant: input.tenantId, email })) {
        throw conflict('user.exists', 'A user with this email already exists in the tenant');
      }
      const hash = await hasher.hash(input.password);
      const user = em.create(UserEntity, {
        id: randomUUID(),
        tenant: input.tenantId,
        email,
        emailVerified: true,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        role,
        status: 'active',
        createdAt: new Date(clock.now()),
      });
      em.create(PasswordCredentialEntity, { id: randomUUID(), user, hash, changedAt: new Date(clock.now()) });
      await em.flush();
      return toUser(user);
    },

    async findById(id) {
      const user = await db.em().findOne(UserEntity, { id });
      return user ? toUser(user) : undefined;
    },

    async findRecent(id) {
      const hit = recent.get(id);
      if (hit && clock.now() - hit.at < RECENT_MS) return hit.user;
      recent.delete(id);
      return service.findById(id);
    },

    async findByEmail(tenantId, email) {
      const parsed = emailSchema.safeParse(email);
      if (!parsed.success) return undefined;
      const user = await db.em().findOne(UserEntity, { tenant: tenantId, email: parsed.data });
      return user ? toUser(user) : undefined;
    },

    async findSignInSubject(tenantId, email) {
      const found = await signInCredential(tenantId, email);
      if (found.kind !== 'user') return found;
      return { kind: 'user', userId: found.credential.user.id, tenantId: found.credential.user.tenant.id };
    },

    async verifyPassword(tenantId, email, password) {
      const found = await signInCredential(tenantId, email);
      const credential = found.kind === 'user' ? found.credential : undefined;
      // unknown and ambiguous emails cost the same argon2 verification as a known one
      const ok = await hasher.verify(credential?.hash, password);
      const user = credential?.user;
      if (!user) return { ok: false };
      // invited users have no password yet; deactivated and unverified ones may not sign in
      if (!ok || user.status !== 'active' || !user.emailVerified) return { ok: false, user: toUser(user) };
      if (user.resetRequiredAt) return { ok: false, user: toUser(user), resetRequired: true };
      const verified = toUser(user);
      remember(verified);
      return {
        ok: true,
        user: {
          ...verified,
          mustChangePassword: user.mustChangePassword,
          passwordChangedAt: credential.changedAt,
          lastSecondFactorAt: user.lastSecondFactorAt ?? null,
        },
      };
    },

    async signInAccount(userId) {
      const user = await db.em().findOne(UserEntity, { id: userId });
      if (user?.status !== 'active' || !user.emailVerified || user.resetRequiredAt) return undefined;
      const credential = await db.em().findOne(PasswordCredentialEntity, { user: userId });
      const found = toUser(user);
      remember(found);
      return {
        ...found,
        mustChangePassword: user.mustChangePassword,
        passwordChangedAt: credential?.changedAt ?? user.createdAt,
        lastSecondFactorAt: user.lastSecondFactorAt ?? null,
      };
    },

    async recordLogin(userId) {
      await db.em().nativeUpdate(UserEntity, { id: userId }, { lastLoginAt: new Date(clock.now()) });
    },

    async recordSecondFactor(userId) {
      const updated = z.guid().safeParse(userId).success
        ? await db.em().nativeUpdate(UserEntity, { id: userId }, { lastSecondFactorAt: new Date(clock.now()) })
        : 0;
      if (updated !== 1) throw notFound('user.not_found', 'No such user');
    },
  };
  return service;
}
