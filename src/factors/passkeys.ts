import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { MfaFactorEntity, PasskeyEntity, UserEntity } from '../store/entities/index.ts';
import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { Clock } from '../lib/clock.ts';
import { passkeyCounterMoved } from '../policy/passkey-counter.ts';

/** a ceremony's challenge lives this long: the time a user has to touch the authenticator */
const CHALLENGE_SECONDS = 300;
const TIMEOUT_MS = CHALLENGE_SECONDS * 1000;
/** ES256, EdDSA, RS256: what platform authenticators and security keys make */
const ALGORITHMS = [-7, -8, -257];
const RESPONSE_MAX = 16_384;
/**
 * A credential id as the browser sends it: base64url of at most 1023 bytes (WebAuthn §5.1). Only
 * such an id is looked up: any other text (a NUL byte, say) never reaches a query.
 */
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1364}$/;
/** the transports WebAuthn names: the browser's list is kept only as far as it names these (it is handed back to later ceremonies) */
const TRANSPORTS: readonly string[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];
const knownTransports = (list: unknown): string[] =>
  Array.isArray(list) ? [...new Set(list.filter((t): t is string => typeof t === 'string' && TRANSPORTS.includes(t)))] : [];
/** the name the user gave, as every factor's label: control characters (a NUL byte no database takes) as spaces, at most 64 characters */
const cleanName = (name: string) =>
  name
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64) || 'Passkey';

/** the browser's answer, as the page posts it: JSON of a PublicKeyCredential, bounded */
const credentialJson = z
  .string()
  .max(RESPONSE_MAX)
  .transform((text, ctx) => {
    try {
      const value = JSON.parse(text) as unknown;
      const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
      if (typeof id === 'string' && CREDENTIAL_ID.test(id)) return value as { id: string };
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'not a passkey response' });
    return z.NEVER;
  });

export type PasskeyRefusal = 'invalid' | 'expired' | 'unknown-credential' | 'duplicate';

export interface PasskeyRegistered {
  ok: true;
  factorId: string;
  /** the key may be synced to the user's other devices */
  synced: boolean;
}

export interface PasskeyProven {
  ok: true;
  userId: string;
  factorId: string;
  /** the key is synced (RFC 8176 swk) rather than bound to one device (hwk) */
  synced: boolean;
  /** the signature counter did not move forward: a copy of the key may exist (audited; the proof is refused) */
  cloneWarning?: false;
}

/** a passkey as the admin API and the console show it: never its key */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** the key may be synced between the user's devices (RFC 8176 swk), else it is bound to one (hwk) */
  synced: boolean;
  backedUp: boolean;
  transports: string[];
  aaguid: string;
}

export type PasskeyFailure = { ok: false; reason: PasskeyRefusal; userId?: string; factorId?: string; cloneWarning?: boolean };

export interface Passkeys {
  /** options for navigator.credentials.create, the challenge kept under `key` until used once or expired */
  /** `rpName`: the name the authenticator shows beside the account (the tenant's) */
  registrationOptions(key: string, user: { id: string; email: string; displayName: string }, rpName: string): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** checks the browser's answer to registrationOptions(key) and adds the passkey as a confirmed factor named `name` */
  register(key: string, userId: string, response: unknown, name: string): Promise<PasskeyRegistered | PasskeyFailure>;
  /** options for navigator.credentials.get: the user's passkeys, or any discoverable one (userId undefined) */
  authenticationOptions(key: string, userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** the user's passkeys, oldest first */
  list(userId: string): Promise<PasskeyView[]>;
  /** the user whose passkey an assertion names (not yet checked): who a passkey sign-in is for */
  ownerOf(response: unknown): Promise<string | undefined>;
  /** checks an assertion against authenticationOptions(key); with userId, only that user's passkeys count */
  authenticate(key: string, response: unknown, userId?: string): Promise<PasskeyProven | PasskeyFailure>;
}

export function createPasskeys(deps: { db: Database; kv: OidcKvStore; clock: Clock; issuer: string }): Passkeys {
  const { db, clock } = deps;
  const origin = new URL(deps.issuer).origin;
  // the issuer's host: a passkey made here is offered on this host only
  const rpID = new URL(deps.issuer).hostname;
  const challenges = deps.kv.model('PasskeyChallenge');

  async function keep(key: string, challenge: string) {
    await challenges.upsert(key, { challenge }, CHALLENGE_SECONDS);
  }

  /** the challenge issued under `key`, once: a second answer to the same options is refused */
  async function take(key: string): Promise<string | undefined> {
    const entry = await challenges.find(key);
    if (typeof entry?.challenge !== 'string') return undefined;
    return (await challenges.consume(key)) === 'consumed' ? entry.challenge : undefined;
  }

  async function credentialsOf(userId: string) {
    return db.em().find(PasskeyEntity, { user: userId, factor: { confirmedAt: { $ne: null } } }, { orderBy: { factor: { createdAt: 'asc' } } });
  }

  return {
    async registrationOptions(key, user, rpName) {
      const existing = await credentialsOf(user.id);
      const options = await generateRegistrationOptions({
        rpName,
        rpID,
        userName: user.email,
        userDisplayName: user.displayName,
        // the user handle is the account id: a discoverable sign-in names the account without an email
        userID: Buffer.from(user.id.replaceAll('-', ''), 'hex'),
        attestationType: 'none',
        excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        supportedAlgorithmIDs: ALGORITHMS,
        timeout: TIMEOUT_MS,
      });
      await keep(key, options.challenge);
      return options;
    },

    async register(key, userId, response, name) {
      const parsed = credentialJson.safeParse(response);
      if (!parsed.success) return { ok: false, reason: 'invalid' };
      const challenge = await take(key);
      if (!challenge) return { ok: false, reason: 'expired' };
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response: parsed.data as unknown as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      if (!verified.verified) return { ok: false, reason: 'invalid' };
      const info = verified.registrationInfo;
      const factorId = randomUUID();
      const now = new Date(clock.now());
      try {
        await db.em().transactional(async (em) => {
          if (!(await em.count(UserEntity, { id: userId }))) throw new Error('user gone');
          em.create(MfaFactorEntity, {
            id: factorId,
            user: userId,
            type: 'passkey',
            label: cleanName(name),
            secretSealed: null,
            phone: null,
            confirmedAt: now,
            lastUsedStep: null,
            lastUsedAt: null,
            preferred: false,
            createdAt: now,
          });
          await em.flush();
          em.create(PasskeyEntity, {
            factor: factorId,
            user: userId,
            credentialId: info.credential.id,
            publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
            signCount: info.credential.counter,
            transports: knownTransports(info.credential.transports),
            backupEligible: info.credentialDeviceType === 'multiDevice',
            backedUp: info.credentialBackedUp,
            aaguid: info.aaguid,
          });
        });
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) return { ok: false, reason: 'duplicate' };
        throw err;
      }
      return { ok: true, factorId, synced: info.credentialDeviceType === 'multiDevice' };
    },

    async authenticationOptions(key, userId) {
      const allow = userId ? await credentialsOf(userId) : [];
      const options = await generateAuthenticationOptions({
        rpID,
        allowCredentials: allow.map((c) => ({ id: c.credentialId, transports: c.transports })),
        userVerification: 'required',
        timeout: TIMEOUT_MS,
      });
      await keep(key, options.challenge);
      return options;
    },

    async list(userId) {
      const rows = await db.em().find(PasskeyEntity, { user: userId }, { populate: ['factor'], orderBy: { factor: { createdAt: 'asc' } } });
      return rows.map((row) => {
        const factor = row.factor as unknown as { id: string; label: string; createdAt: Date; lastUsedAt?: Date | null };
        return {
          id: factor.id,
          name: factor.label,
          createdAt: factor.createdAt,
          lastUsedAt: factor.lastUsedAt ?? null,
          synced: row.backupEligible,
          backedUp: row.backedUp,
          transports: row.transports,
          aaguid: row.aaguid,
        };
      });
    },

    async ownerOf(response) {
      const parsed = credentialJson.safeParse(response);
      if (!parsed.success) return undefined;
      const credential = await db.em().findOne(PasskeyEntity, { credentialId: parsed.data.id, factor: { confirmedAt: { $ne: null } } });
      return credential ? (credential.user as unknown as { id: string }).id : undefined;
    },

    async authenticate(key, response, userId) {
      const parsed = credentialJson.safeParse(response);
      if (!parsed.success) return { ok: false, reason: 'invalid' };
      const challenge = await take(key);
      if (!challenge) return { ok: false, reason: 'expired' };
      const em = db.em();
      const credential = await em.findOne(PasskeyEntity, { credentialId: parsed.data.id, factor: { confirmedAt: { $ne: null } } });
      const ownerId = credential ? (credential.user as unknown as { id: string }).id : undefined;
      if (!credential || !ownerId || (userId !== undefined && ownerId !== userId)) return { ok: false, reason: 'unknown-credential' };
      const factorId = (credential.factor as unknown as { id: string }).id;
      let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verified = await verifyAuthenticationResponse({
          response: parsed.data as unknown as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          // the counter is judged below, so a clone is audited rather than thrown
          credential: { id: credential.credentialId, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: 0, transports: [] },
          requireUserVerification: true,
        });
      } catch {
        return { ok: false, reason: 'invalid', userId: ownerId, factorId };
      }
      if (!verified.verified) return { ok: false, reason: 'invalid', userId: ownerId, factorId };
      const info = verified.authenticationInfo;
      if (!passkeyCounterMoved(credential.signCount, info.newCounter)) {
        return { ok: false, reason: 'invalid', userId: ownerId, factorId, cloneWarning: true };
      }
      // only a counter that moved forward is written, so of two uses of one response only one passes
      const updated = await em.nativeUpdate(
        PasskeyEntity,
        { factor: factorId, signCount: credential.signCount },
        { signCount: info.newCounter, backedUp: info.credentialBackedUp },
      );
      if (updated !== 1 && info.newCounter !== 0) return { ok: false, reason: 'invalid', userId: ownerId, factorId, cloneWarning: true };
      await em.nativeUpdate(MfaFactorEntity, { id: factorId }, { lastUsedAt: new Date(clock.now()) });
      return { ok: true, userId: ownerId, factorId, synced: credential.backupEligible };
    },
  };
}
