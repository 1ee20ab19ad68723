import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { Database } from '../store/database.ts';
import { FederatedIdentityEntity, PasswordCredentialEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import { conflict } from '../lib/errors.ts';
import { toUser, type User } from '../accounts/users.ts';
import type { UserRole } from '../store/entities/user.ts';
import { mayRemoveLinkedIdentity } from '../policy/reauthentication.ts';

/** an upstream identity as its user sees it in the console */
export interface LinkedIdentity {
  id: string;
  providerId: string;
  providerLabel: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface UpstreamIdentity {
  providerId: string;
  issuer: string;
  subject: string;
  email?: string | undefined;
}

export interface IdentityService {
  /** the user linked to this identity, with whether the user has a password */
  findUser(identity: UpstreamIdentity): Promise<User | undefined>;
  /** the user of the tenant with this email, with what linking needs to know */
  matchByEmail(tenantId: string, email: string, providerId: string): Promise<{ user: User; hasPassword: boolean; linkedToProvider: boolean } | undefined>;
  link(userId: string, identity: UpstreamIdentity): Promise<void>;
  /** creates an active user without a password (a verified email from the upstream) and links the identity */
  provision(tenantId: string, input: { email: string; role: UserRole; firstName?: string; lastName?: string }, identity: UpstreamIdentity): Promise<User>;
  touch(identity: UpstreamIdentity): Promise<void>;
  /** when the user last completed a local second factor (for the re-check of remembered devices) */
  lastSecondFactorAt(userId: string): Promise<Date | null>;
  listForUser(userId: string): Promise<LinkedIdentity[]>;
  /** whether the user has a local password (users provisioned by a provider have none) */
  hasPassword(userId: string): Promise<boolean>;
  /**
   * The removed identity's provider label; 'last-identity' when it is the only way in of a user
   * without a password (nothing is removed); undefined when the user has no such identity.
   */
  remove(userId: string, identityId: string): Promise<{ removed: string } | 'last-identity' | undefined>;
}

const keyOf = (i: UpstreamIdentity) => ({ provider: i.providerId, issuer: i.issuer, subject: i.subject });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createIdentityService(deps: { db: Database; clock: Clock }): IdentityService {
  const { db, clock } = deps;
  const now = () => new Date(clock.now());
  const linked = (em: ReturnType<Database['em']>, userId: string, identity: UpstreamIdentity) =>
    em.insert(FederatedIdentityEntity, {
      id: randomUUID(),
      user: userId,
      ...keyOf(identity),
      email: identity.email ?? null,
      createdAt: now(),
      lastUsedAt: now(),
    });
  const alreadyLinked = (err: unknown) =>
    (err as { name?: string }).name === 'UniqueConstraintViolationException'
      ? conflict('federation.already_linked', 'This identity is already linked to an account')
      : err;

  return {
    async findUser(identity) {
      const row = await db.em().findOne(FederatedIdentityEntity, keyOf(identity), { populate: ['user'] });
      return row ? toUser(row.user) : undefined;
    },

    async matchByEmail(tenantId, email, providerId) {
      const em = db.em();
      const user = await em.findOne(UserEntity, { tenant: tenantId, email });
      if (!user) return undefined;
      const [credentials, links] = await Promise.all([
        em.count(PasswordCredentialEntity, { user: user.id }),
        em.count(FederatedIdentityEntity, { user: user.id, provider: providerId }),
      ]);
      return { user: toUser(user), hasPassword: credentials > 0, linkedToProvider: links > 0 };
    },

    async link(userId, identity) {
      await linked(db.em(), userId, identity).catch((err: unknown) => {
        throw alreadyLinked(err);
      });
    },

    async provision(tenantId, input, identity) {
      const id = randomUUID();
      try {
        await db.em().transactional(async (em) => {
          if (await em.findOne(UserEntity, { tenant: tenantId, email: input.email }))
            throw conflict('user.exists', 'A user with this email already exists in the tenant');
          await em.insert(UserEntity, {
            id,
            tenant: tenantId,
            email: input.email,
            emailVerified: true,
            firstName: (input.firstName ?? '').slice(0, 100),
            lastName: (input.lastName ?? '').slice(0, 100),
            role: input.role,
            status: 'active',
            mustChangePassword: false,
            createdAt: now(),
          });
          await linked(em, id, identity);
        });
      } catch (err) {
        throw alreadyLinked(err);
      }
      const user = await db.em().findOne(UserEntity, { id });
      return toUser(user!);
    },

    async touch(identity) {
      await db.em().nativeUpdate(FederatedIdentityEntity, keyOf(identity), { lastUsedAt: now() });
    },

    async lastSecondFactorAt(userId) {
      return (await db.em().findOne(UserEntity, { id: userId }))?.lastSecondFactorAt ?? null;
    },

    async listForUser(userId) {
      const rows = await db.em().find(FederatedIdentityEntity, { user: userId }, { populate: ['provider'], orderBy: { createdAt: 'asc' } });
      return rows.map((r) => ({
        id: r.id,
        providerId: r.provider.id,
        providerLabel: r.provider.label,
        email: r.email ?? null,
        createdAt: r.createdAt,
        lastUsedAt: r.lastUsedAt ?? null,
      }));
    },

    async hasPassword(userId) {
      return (await db.em().count(PasswordCredentialEntity, { user: userId })) > 0;
    },

    async remove(userId, identityId) {
      if (!UUID.test(identityId)) return undefined;
      // the user's row is locked (PostgreSQL) so two removals at once cannot take the last two identities
      return db.em().transactional(async (em) => {
        await em.findOne(UserEntity, { id: userId }, db.kind === 'postgres' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
        const row = await em.findOne(FederatedIdentityEntity, { id: identityId, user: userId }, { populate: ['provider'] });
        if (!row) return undefined;
        const passwords = await em.count(PasswordCredentialEntity, { user: userId });
        const linkedIdentities = await em.count(FederatedIdentityEntity, { user: userId });
        if (!mayRemoveLinkedIdentity({ hasPassword: passwords > 0, linkedIdentities })) return 'last-identity' as const;
        await em.nativeDelete(FederatedIdentityEntity, { id: row.id, user: userId });
        return { removed: row.provider.label };
      });
    },
  };
}
