import type { Clock } from '../lib/clock.ts';
import type { TenantService } from '../accounts/tenants.ts';
import type { UserService } from '../accounts/users.ts';
import type { ClientService } from '../accounts/clients.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { SignInGuard } from '../accounts/sign-in-guard.ts';
import type { PasswordRecovery } from '../accounts/password-recovery.ts';
import type { UserSessions } from '../accounts/user-sessions.ts';
import type { DeviceService } from '../accounts/devices.ts';
import type { Database } from '../store/database.ts';
import type { ApiTokenService } from './api-tokens.ts';
import type { AccessTokenVerifier } from './access-tokens.ts';
import type { UserDirectory } from './user-directory.ts';
import type { LifecycleServices } from '../accounts/lifecycle-services.ts';
import type { WebhookSettings } from './webhooks/webhook-settings.ts';
import type { Federation } from '../federation/services.ts';
import type { Passkeys } from '../factors/passkeys.ts';
import type { FactorService } from '../accounts/factors.ts';
import type { Notifications } from '../accounts/notifications.ts';
import type { Logger } from '../lib/logger.ts';

/** what the admin routes act through */
export interface AdminDeps {
  tenants: TenantService;
  users: UserService;
  clients: ClientService;
  audit: AuditLog;
  guard: Pick<SignInGuard, 'unlock'>;
  recovery: Pick<PasswordRecovery, 'force'>;
  userSessions: UserSessions;
  devices: Pick<DeviceService, 'revokeAll'>;
  apiTokens: ApiTokenService;
  accessTokens: AccessTokenVerifier;
  directory: UserDirectory;
  invitations: Pick<LifecycleServices['invitations'], 'invite' | 'resendInvitation'>;
  lifecycle: Pick<LifecycleServices['lifecycle'], 'deactivate' | 'reactivate'>;
  profiles: LifecycleServices['profiles'];
  emailChanges: Pick<LifecycleServices['emailChanges'], 'requestEmailChange'>;
  webhooks: Pick<WebhookSettings, 'get' | 'put' | 'remove'>;
  /** the tenant's upstream providers, and the callback URL to register at them */
  federation: Pick<Federation, 'providers' | 'callbackUrl'>;
  /** a user's passkeys: listed and removed (the factor row; its credential goes with it) */
  passkeys: Pick<Passkeys, 'list'>;
  factors: Pick<FactorService, 'remove' | 'removeAll'>;
  notifications: Pick<Notifications, 'factorRemoved' | 'factorsReset'>;
  /** for what fails once a change is made, such as an email that could not be sent */
  logger: Logger;
  clock: Clock;
}

/** what createAdminRouter needs from the container (a structural subset of it) */
export interface AdminRouterDeps extends Omit<AdminDeps, 'accessTokens' | 'directory' | 'webhooks'> {
  /** the audit webhooks (their settings are what the routes use) */
  webhooks: { settings: AdminDeps['webhooks'] };
  db: Database;
  issuer: string;
  /** the provider's signing keys, to verify its JWT access tokens (public members are kept) */
  keys: { loadJwks(): Promise<Array<Record<string, unknown>>> };
}
