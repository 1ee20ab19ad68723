import { TenantEntity } from './tenant.ts';
import { UserEntity } from './user.ts';
import { PasswordCredentialEntity } from './password-credential.ts';
import { PasswordHistoryEntity } from './password-history.ts';
import { ClientEntity } from './client.ts';
import { SigningKeyEntity } from './signing-key.ts';
import { AuditEventEntity } from './audit-event.ts';
import { OutboxMessageEntity } from './outbox-message.ts';
import { LockoutReleaseEntity } from './lockout-release.ts';
import { MfaFactorEntity } from './mfa-factor.ts';
import { RecoveryCodeEntity } from './recovery-code.ts';
import { TrustedDeviceEntity } from './trusted-device.ts';
import { ApiTokenEntity } from './api-token.ts';
import { VerificationLinkEntity } from './verification-link.ts';
import { TenantWebhookEntity } from './tenant-webhook.ts';
import { WebhookDeliveryEntity } from './webhook-delivery.ts';
import { UpstreamProviderEntity } from './upstream-provider.ts';
import { FederatedIdentityEntity } from './federated-identity.ts';
import { PasskeyEntity } from './passkey.ts';
import { SentNoticeEntity } from './sent-notice.ts';

export {
  TenantEntity,
  UserEntity,
  PasswordCredentialEntity,
  PasswordHistoryEntity,
  ClientEntity,
  SigningKeyEntity,
  AuditEventEntity,
  OutboxMessageEntity,
  LockoutReleaseEntity,
  MfaFactorEntity,
  RecoveryCodeEntity,
  TrustedDeviceEntity,
  VerificationLinkEntity,
  ApiTokenEntity,
  TenantWebhookEntity,
  WebhookDeliveryEntity,
  UpstreamProviderEntity,
  FederatedIdentityEntity,
  PasskeyEntity,
  SentNoticeEntity,
};
export const allEntities = [
  TenantEntity,
  UserEntity,
  PasswordCredentialEntity,
  PasswordHistoryEntity,
  ClientEntity,
  SigningKeyEntity,
  AuditEventEntity,
  OutboxMessageEntity,
  LockoutReleaseEntity,
  MfaFactorEntity,
  RecoveryCodeEntity,
  TrustedDeviceEntity,
  VerificationLinkEntity,
  ApiTokenEntity,
  TenantWebhookEntity,
  WebhookDeliveryEntity,
  UpstreamProviderEntity,
  FederatedIdentityEntity,
  PasskeyEntity,
  SentNoticeEntity,
];
