import type { Database } from '../store/database.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Mailer } from './mailer.ts';
import type { AuditLog } from './audit.ts';
import type { EmailComposer } from './notifications.ts';
import type { PasswordService } from './passwords.ts';
import type { TenantService } from './tenants.ts';
import type { UserSessions } from './user-sessions.ts';
import { createVerificationLinks, type VerificationLinks } from './verification-links.ts';
import { createLifecycleMail } from './lifecycle-mail.ts';
import { createInvitationService, type InvitationService } from './invitations.ts';
import { createLifecycleService, type LifecycleService } from './lifecycle.ts';
import { createEmailChangeService, type EmailChangeService } from './email-change.ts';
import { createProfileService, type ProfileService } from './profile.ts';
import { createDeadlineWarnings } from './deadline-warnings.ts';
import type { NotMeLinks } from './not-me-links.ts';

/** The account lifecycle: invitations, deactivation and the inactivity job, email changes, names and roles. */
export interface LifecycleServices {
  verificationLinks: VerificationLinks;
  invitations: InvitationService;
  lifecycle: LifecycleService;
  emailChanges: EmailChangeService;
  profiles: ProfileService;
}

export function createLifecycleServices(deps: {
  db: Database;
  clock: Clock;
  logger: Logger;
  issuer: string;
  tenants: TenantService;
  passwords: PasswordService;
  userSessions: UserSessions;
  mailer: Mailer;
  composer: EmailComposer;
  audit: AuditLog;
  /** the "This wasn't me" link of the email-changed notice */
  notMe: NotMeLinks;
}): LifecycleServices {
  const { db, clock, logger, issuer, tenants, audit } = deps;
  const links = createVerificationLinks({ db, clock });
  const mail = createLifecycleMail({ mailer: deps.mailer, composer: deps.composer, notMe: deps.notMe });
  const warnings = createDeadlineWarnings({ db, logger, issuer, mailer: deps.mailer, composer: deps.composer });
  const invitations = createInvitationService({ db, clock, issuer, tenants, passwords: deps.passwords, links, mail, audit });
  return {
    verificationLinks: links,
    invitations,
    lifecycle: createLifecycleService({ db, clock, logger, tenants, userSessions: deps.userSessions, invitations, audit, warnings }),
    emailChanges: createEmailChangeService({ db, issuer, logger, tenants, links, mail, invitations, audit }),
    profiles: createProfileService({ db, audit }),
  };
}
