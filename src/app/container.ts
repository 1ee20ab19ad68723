import { PASSKEY_METHODS } from '../policy/authentication-context.ts';
import { createPasskeys, type Passkeys } from '../factors/passkeys.ts';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../config/schema.ts';
import { issuerOf } from '../config/load.ts';
import { resolveSecrets, type RuntimeSecrets } from './secrets.ts';
import { createSealedBox, type SealedBox } from '../lib/sealed-box.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { createRedisOidcStore } from '../store/oidc-kv/redis-store.ts';
import { createMemoryOidcStore } from '../store/oidc-kv/memory-store.ts';
import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import { createPasswordHasher, type PasswordHasher } from '../accounts/password-hasher.ts';
import { createTenantService, type TenantService } from '../accounts/tenants.ts';
import { createUserService, type UserService } from '../accounts/users.ts';
import { createClientService, type ClientService } from '../accounts/clients.ts';
import { createSigningKeyService, type SigningKeyService } from '../oidc/signing-keys.ts';
import { join } from 'node:path';
import { createRenderer, type Renderer } from '../http/views.ts';
import { createWorkLimiter, type WorkLimiter } from '../lib/work-limiter.ts';
import { createMetrics, type Metrics } from '../lib/metrics.ts';
import { SECOND_FACTOR_METHODS } from '../policy/factor-types.ts';
import { createRedisAttemptCounters } from '../store/counters/redis-counters.ts';
import { createMemoryAttemptCounters } from '../store/counters/memory-counters.ts';
import { createDatabaseLockReleases } from '../store/counters/lock-releases.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import { createPasswordStrength } from '../accounts/password-strength.ts';
import { createPasswordService, type PasswordService } from '../accounts/passwords.ts';
import { createPasswordResetTokens, type PasswordResetTokens } from '../accounts/password-reset.ts';
import { createVerificationLinks } from '../accounts/verification-links.ts';
import { createAuditLog, type AuditLog } from '../accounts/audit.ts';
import { createMailer, type Mailer } from '../accounts/mailer.ts';
import { createNotifications, type Notifications } from '../accounts/notifications.ts';
import { createPasswordRecovery, type PasswordRecovery } from '../accounts/password-recovery.ts';
import { createResetRequestLimits } from '../accounts/reset-request-limits.ts';
import { createRedisSendLimits } from '../store/counters/redis-send-limits.ts';
import { createMemorySendLimits } from '../store/counters/memory-send-limits.ts';
import { createSignInGuard, type SignInGuard } from '../accounts/sign-in-guard.ts';
import { createUserSessions, type UserSessions } from '../accounts/user-sessions.ts';
import { createDeviceService, type DeviceService } from '../accounts/devices.ts';
import { createFactorService, type FactorService } from '../accounts/factors.ts';
import { createPhoneSender, type PhoneSender } from '../factors/delivery/phone.ts';
import type { CodeChallenges } from '../factors/code-challenges.ts';
import { createRedisCodeChallenges } from '../store/challenges/redis-challenges.ts';
import { createMemoryCodeChallenges } from '../store/challenges/memory-challenges.ts';
import { hkdfSync } from 'node:crypto';
import { createLifecycleServices, type LifecycleServices } from '../accounts/lifecycle-services.ts';
import { createApiTokenService, type ApiTokenService } from '../admin/api-tokens.ts';
import { createWebhooks, type Webhooks } from '../admin/webhooks/webhooks.ts';
import { createFederation, type Federation } from '../federation/services.ts';
import { createNotMeLinks } from '../accounts/not-me-links.ts';
import { createNotMeReports, type NotMeReports } from '../accounts/not-me-reports.ts';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Everything the server and the CLI share, wired with plain factory functions. */
export interface Container extends LifecycleServices {
  settings: Settings;
  issuer: string;
  secrets: RuntimeSecrets;
  clock: Clock;
  logger: Logger;
  box: SealedBox;
  db: Database;
  redis?: Redis;
  kv: OidcKvStore;
  hasher: PasswordHasher;
  tenants: TenantService;
  users: UserService;
  clients: ClientService;
  keys: SigningKeyService;
  /** Prometheus metrics (GET /metrics serves metrics.registry) */
  metrics: Metrics;
  renderer: Renderer;
  argon2Limiter: WorkLimiter;
  counters: AttemptCounters;
  passwords: PasswordService;
  resetTokens: PasswordResetTokens;
  audit: AuditLog;
  mailer: Mailer;
  notifications: Notifications;
  recovery: PasswordRecovery;
  /** what a security notice's "This wasn't me" link does once its page is confirmed */
  notMeReports: NotMeReports;
  guard: SignInGuard;
  userSessions: UserSessions;
  devices: DeviceService;
  /** WebAuthn ceremonies and the passkeys' credentials */
  passkeys: Passkeys;
  factors: FactorService;
  phone: PhoneSender;
  challenges: CodeChallenges;
  /** personal tokens for the admin API */
  apiTokens: ApiTokenService;
  /** audit webhooks; the server starts webhooks.worker, close() stops it */
  webhooks: Webhooks;
  /** upstream OpenID Connect providers (docs/federation.md) */
  federation: Federation;
  close(): Promise<void>;
}

export async function createContainer(settings: Settings, options: { clock?: Clock; logger?: Logger } = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(settings.LOG_LEVEL);
  const secrets = resolveSecrets(settings);
  const box = createSealedBox(secrets.keyEncryptionKey);
  const db = await openDatabase({ ...(settings.DATABASE_URL ? { databaseUrl: settings.DATABASE_URL } : {}), dataDir: settings.DATA_DIR });
  const metrics = createMetrics({ argon2: () => argon2Limiter, factorLabels: [...SECOND_FACTOR_METHODS, ...PASSKEY_METHODS] });
  const redis = settings.REDIS_URL ? connectRedis(settings.REDIS_URL, logger, metrics) : undefined;
  const kv = redis ? createRedisOidcStore(redis, { prefix: settings.REDIS_PREFIX, clock }) : createMemoryOidcStore(clock);
  const argon2Limiter = createWorkLimiter({
    concurrency: settings.ARGON2_MAX_CONCURRENCY,
    maxQueue: settings.ARGON2_MAX_QUEUE,
    onRefused: () => metrics.argon2Refused(),
  });
  const hasher = await createPasswordHasher(
    {
      memoryKiB: settings.ARGON2_MEMORY_KIB,
      iterations: settings.ARGON2_ITERATIONS,
      parallelism: settings.ARGON2_PARALLELISM,
    },
    argon2Limiter,
  );
  const issuer = issuerOf(settings);
  const renderer = createRenderer(join(projectRoot, 'views'));
  const users = createUserService({ db, hasher, clock });
  const passwords = createPasswordService({ db, hasher, strength: createPasswordStrength(), clock });
  const links = createVerificationLinks({ db, clock });
  const resetTokens = createPasswordResetTokens({ db, links });
  const notMe = createNotMeLinks({ issuer, links });
  const webhooks = createWebhooks(
    { db, box, clock, logger },
    {
      allowPrivateAddresses: settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES,
      requireHttps: settings.NODE_ENV === 'production',
    },
  );
  const audit = createAuditLog({ db, clock, logger, outbox: webhooks.outbox, observe: (e) => metrics.securityEvent(e.action, e.details) });
  const mailer = createMailer({ ...(settings.SMTP_URL ? { smtpUrl: settings.SMTP_URL } : {}), from: settings.MAIL_FROM, db, clock, logger });
  const notifications = createNotifications({ mailer, composer: renderer, logger, notMe });
  const devices = createDeviceService({ db, clock });
  const userSessions = createUserSessions(kv, devices);
  const sendLimits = redis ? createRedisSendLimits(redis, { prefix: settings.REDIS_PREFIX, clock }) : createMemorySendLimits(clock);
  const apiTokens = createApiTokenService({ db, clock, audit });
  const recovery = createPasswordRecovery({
    issuer,
    users,
    tokens: resetTokens,
    notifications,
    audit,
    logger,
    limits: createResetRequestLimits(sendLimits),
    // a compromised password: blocked, and every session, grant, device and API token ends at once
    requireReset: async (id, actor) => {
      await passwords.requireReset(id);
      await userSessions.endAll(id);
      await apiTokens.revokeAll(id, actor);
    },
  });
  const counters = redis ? createRedisAttemptCounters(redis, settings.REDIS_PREFIX, clock) : createMemoryAttemptCounters(clock, createDatabaseLockReleases(db));
  // one-time codes are kept as HMACs under a key derived from KEY_ENCRYPTION_KEY, the same on every replica
  const challengeSecret = Buffer.from(hkdfSync('sha256', secrets.keyEncryptionKey, Buffer.alloc(0), 'latchkey code challenges', 32));
  const challenges = redis
    ? createRedisCodeChallenges(redis, { prefix: settings.REDIS_PREFIX, clock, secret: challengeSecret })
    : createMemoryCodeChallenges({ clock, secret: challengeSecret });
  const lifecycleServices = createLifecycleServices({
    db,
    clock,
    logger,
    issuer,
    tenants: createTenantService(db),
    passwords,
    userSessions,
    mailer,
    composer: renderer,
    audit,
    notMe,
  });
  return {
    ...lifecycleServices,
    settings,
    issuer,
    factors: createFactorService({ db, box, clock }),
    phone: createPhoneSender({ settings, db, clock, logger }),
    challenges,
    secrets,
    clock,
    logger,
    box,
    db,
    redis,
    kv,
    hasher,
    metrics,
    renderer,
    argon2Limiter,
    counters,
    passwords,
    resetTokens,
    audit,
    mailer,
    notifications,
    recovery,
    notMeReports: createNotMeReports({ db, links, users, tenants: createTenantService(db), recovery, audit, mailer, composer: renderer, logger }),
    users,
    guard: createSignInGuard({ counters, users, audit, recovery, clock, logger }),
    userSessions,
    devices,
    passkeys: createPasskeys({ db, kv, clock, issuer }),
    apiTokens,
    webhooks,
    federation: createFederation({ settings, issuer, db, kv, box, clock }),
    tenants: createTenantService(db),
    clients: createClientService({
      db,
      box,
      outbound: { allowPrivate: settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES, requireHttps: settings.NODE_ENV === 'production' },
    }),
    keys: createSigningKeyService({
      db,
      box,
      clock,
      // a retired key stays published while anything it signed may still be presented, plus clock skew
      retiredKeyPublishSeconds: Math.max(settings.ID_TOKEN_TTL, settings.ACCESS_TOKEN_TTL) + 300,
    }),
    async close() {
      await webhooks.worker.stop();
      await kv.close();
      // QUIT waits for Redis's answer; a connection that is reconnecting never gives one
      if (redis) await withTimeout(redis.quit(), 2000).catch(() => redis.disconnect());
      await db.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function connectRedis(url: string, logger: Logger, metrics: Pick<Metrics, 'storeError'>): Redis {
  const redis = new Redis(url, {
    connectTimeout: 2000,
    maxRetriesPerRequest: 2,
    // commands issued in the same tick go out in one write (a syscall per command is costly)
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // every failed (re)connection attempt counts; the log says it once per distinct message
    metrics.storeError('redis', 'connection');
    if (err.message !== lastError) logger.warn({ err: err.message }, 'redis connection error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}
