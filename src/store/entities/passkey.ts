import { defineEntity, p } from '@mikro-orm/core';
import { MfaFactorEntity } from './mfa-factor.ts';
import { UserEntity } from './user.ts';

/**
 * The WebAuthn credential of a passkey factor (a discoverable credential, created with user
 * verification): one row per factor of type 'passkey', which holds its name, use and preference
 * like any factor's. Only the public key is stored. The relying party ID is the issuer's host, so
 * a passkey made here signs in nowhere else.
 */
export const PasskeyEntity = defineEntity({
  name: 'Passkey',
  tableName: 'passkeys',
  indexes: [{ properties: ['user'] }],
  properties: {
    factor: () => p.oneToOne(MfaFactorEntity).primary().owner().deleteRule('cascade'),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    /** the authenticator's credential ID, base64url (at most 1023 bytes) */
    credentialId: p.string().length(1400).unique(),
    /** the COSE public key, base64url */
    publicKey: p.text(),
    /** the authenticator's signature counter (0: it keeps none, as synced passkeys do) */
    signCount: p.bigint('number'),
    /** how the browser can reach it again, such as ['internal', 'hybrid'] */
    transports: p.json<string[]>(),
    /** the key may be backed up to other devices (a synced passkey) */
    backupEligible: p.boolean(),
    /** the key is backed up right now */
    backedUp: p.boolean(),
    /** the authenticator model's AAGUID (all zeros when it does not say) */
    aaguid: p.string().length(36),
  },
});
