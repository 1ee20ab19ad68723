import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { MfaFactorEntity, RecoveryCodeEntity, UserEntity } from '../store/entities/index.ts';
import { FACTOR_TYPES, isCodeFactor, type CodeFactorType, type FactorType } from '../policy/factor-types.ts';
import type { Clock } from '../lib/clock.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import { generateTotpSecret, totpUri, verifyTotp } from '../factors/totp.ts';
import { qrSvg } from '../factors/qr.ts';
import { normalizePhoneNumber } from '../factors/phone-number.ts';
import { createRecoveryCodes, type RecoveryCodes } from '../factors/recovery-codes.ts';

export type { FactorType, CodeFactorType };
const CODE_FACTOR_TYPES: readonly CodeFactorType[] = FACTOR_TYPES.filter(isCodeFactor);

/** a factor as callers see it: never with its secret */
export interface Factor {
  id: string;
  type: FactorType;
  label: string;
  /** E.164, for sms and voice */
  phone: string | null;
  /** null while the enrollment waits for its first code */
  confirmedAt: Date | null;
  preferred: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface TotpEnrollment {
  factorId: string;
  /** base32, for typing into an app that cannot scan */
  secret: string;
  uri: string;
  qrSvg: string;
}

export interface FactorService {
  /** confirmed and pending factors, oldest first */
  list(userId: string): Promise<Factor[]>;
  confirmedTypes(userId: string): Promise<FactorType[]>;
  /** the type of the factor the user marked preferred, else of the oldest confirmed one */
  preferredType(userId: string): Promise<FactorType | null>;
  /** confirmedTypes and preferredType in one read (the sign-in asks both) */
  confirmedSummary(userId: string): Promise<{ types: FactorType[]; preferred: FactorType | null }>;
  /** a pending TOTP factor; replaces an older pending one of the user */
  startTotp(userId: string, options: { accountName: string; issuer?: string; label?: string }): Promise<TotpEnrollment>;
  /** the pending TOTP enrollment again (to show its QR code after a wrong first code) */
  pendingTotp(userId: string, factorId: string, options: { accountName: string; issuer?: string }): Promise<TotpEnrollment>;
  /** true when the code confirmed the pending factor; its step cannot be used again */
  confirmTotp(userId: string, factorId: string, code: string): Promise<boolean>;
  /** against every confirmed TOTP factor; a code is accepted once, also across replicas */
  verifyTotp(userId: string, code: string): Promise<boolean>;
  /** a pending email, SMS or voice factor; replaces an older pending one of the same type */
  addPending(userId: string, type: CodeFactorType, options?: { phone?: string; label?: string }): Promise<Factor>;
  /** confirms a pending code factor after its code was verified elsewhere */
  confirm(userId: string, factorId: string): Promise<Factor>;
  remove(userId: string, factorId: string): Promise<void>;
  setPreferred(userId: string, factorId: string): Promise<void>;
  /**
   * Every factor (a passkey's credential goes with its factor) and every recovery code of the
   * user; counts the confirmed factors and the unused codes, the ones that worked until now.
   */
  removeAll(userId: string): Promise<{ factors: number; recoveryCodes: number }>;
  readonly recoveryCodes: RecoveryCodes;
}

const DEFAULT_LABELS: Record<FactorType, string> = { passkey: 'Passkey', totp: 'Authenticator app', email: 'Email', sms: 'Text message', voice: 'Phone call' };
const isId = (id: unknown): id is string => z.guid().safeParse(id).success;
// the row id is bound into the seal, so a secret copied into another row does not open
const sealPurpose = (factorId: string) => `totp-secret:${factorId}`;
const factorNotFound = () => notFound('factor.not_found', 'No such factor');

type FactorRow = {
  id: string;
  type: FactorType;
  label: string;
  phone?: string | null;
  confirmedAt?: Date | null;
  preferred: boolean;
  createdAt: Date;
  lastUsedAt?: Date | null;
};
const toFactor = (f: FactorRow): Factor => ({
  id: f.id,
  type: f.type,
  label: f.label,
  phone: f.phone ?? null,
  confirmedAt: f.confirmedAt ?? null,
  preferred: f.preferred,
  createdAt: f.createdAt,
  lastUsedAt: f.lastUsedAt ?? null,
});

function cleanLabel(input: unknown, type: FactorType): string {
  if (input === undefined) return DEFAULT_LABELS[type];
  const label =
    typeof input === 'string'
      ? input
          .replace(/\p{Cc}/gu, ' ')
          .replace(/\s+/g, ' ')
          .trim()
      : '';
  if (!label || label.length > 64) throw new AppError(400, 'factor.invalid_label', 'A factor name has 1 to 64 characters');
  return label;
}

function cleanPhone(input: unknown): string {
  const phone = normalizePhoneNumber(input);
  if (!phone) throw new AppError(400, 'factor.invalid_phone', 'Enter the phone number in international form, such as +14155550123');
  return phone;
}

export function createFactorService(deps: { db: Database; box: SealedBox; clock: Clock }): FactorService {
  const { db, box, clock } = deps;
  const now = () => new Date(clock.now());

  async function requireUser(userId: string) {
    if (!isId(userId) || !(await db.em().findOne(UserEntity, { id: userId }, { fields: ['id'] }))) {
      throw notFound('user.not_found', 'No such user');
    }
  }

  async function confirmedFactors(userId: string) {
    if (!isId(userId)) return [];
    return db.em().find(MfaFactorEntity, { user: userId, confirmedAt: { $ne: null } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * Records the step only if it is newer than the last one used, in one conditional UPDATE,
   * so of parallel uses of a code (on any replica) exactly one wins. Confirming also requires
   * the factor to be still pending; verifying requires it to be confirmed.
   */
  async function claimStep(factorId: string, step: number, confirming: boolean): Promise<boolean> {
    const at = now();
    const updated = await db
      .em()
      .nativeUpdate(
        MfaFactorEntity,
        { id: factorId, confirmedAt: confirming ? null : { $ne: null }, $or: [{ lastUsedStep: null }, { lastUsedStep: { $lt: step } }] },
        confirming ? { lastUsedStep: step, lastUsedAt: at, confirmedAt: at } : { lastUsedStep: step, lastUsedAt: at },
      );
    return updated === 1;
  }

  const service: FactorService = {
    async list(userId) {
      if (!isId(userId)) return [];
      const rows = await db.em().find(MfaFactorEntity, { user: userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(toFactor);
    },

    async confirmedTypes(userId) {
      return (await service.confirmedSummary(userId)).types;
    },

    async preferredType(userId) {
      return (await service.confirmedSummary(userId)).preferred;
    },

    async confirmedSummary(userId) {
      const factors = await confirmedFactors(userId);
      const types = new Set(factors.map((f) => f.type));
      return { types: FACTOR_TYPES.filter((t) => types.has(t)), preferred: (factors.find((f) => f.preferred) ?? factors[0])?.type ?? null };
    },

    async startTotp(userId, options) {
      if (typeof options.accountName !== 'string' || !options.accountName.trim() || options.accountName.length > 320) {
        throw new AppError(400, 'factor.invalid_account_name', 'The account name has 1 to 320 characters');
      }
      const label = cleanLabel(options.label, 'totp');
      await requireUser(userId);
      const id = randomUUID();
      const secret = generateTotpSecret();
      await db.em().transactional(async (em) => {
        await em.nativeDelete(MfaFactorEntity, { user: userId, type: 'totp', confirmedAt: null });
        em.create(MfaFactorEntity, {
          id,
          user: userId,
          type: 'totp',
          label,
          secretSealed: box.seal(secret, sealPurpose(id)),
          phone: null,
          confirmedAt: null,
          lastUsedStep: null,
          lastUsedAt: null,
          preferred: false,
          createdAt: now(),
        });
      });
      const uri = totpUri({ secret, accountName: options.accountName, ...(options.issuer ? { issuer: options.issuer } : {}) });
      return { factorId: id, secret, uri, qrSvg: await qrSvg(uri) };
    },

    async pendingTotp(userId, factorId, options) {
      if (!isId(userId) || !isId(factorId)) throw factorNotFound();
      const factor = await db.em().findOne(MfaFactorEntity, { id: factorId, user: userId, type: 'totp', confirmedAt: null });
      if (!factor?.secretSealed) throw factorNotFound();
      const secret = box.open(factor.secretSealed, sealPurpose(factorId));
      const uri = totpUri({ secret, accountName: options.accountName, ...(options.issuer ? { issuer: options.issuer } : {}) });
      return { factorId, secret, uri, qrSvg: await qrSvg(uri) };
    },

    async confirmTotp(userId, factorId, code) {
      if (!isId(userId) || !isId(factorId)) throw factorNotFound();
      const factor = await db.em().findOne(MfaFactorEntity, { id: factorId, user: userId, type: 'totp', confirmedAt: null });
      if (!factor?.secretSealed) throw factorNotFound();
      const step = await verifyTotp(box.open(factor.secretSealed, sealPurpose(factor.id)), code, clock.now());
      return step !== null && claimStep(factor.id, step, true);
    },

    async verifyTotp(userId, code) {
      for (const factor of await confirmedFactors(userId)) {
        if (factor.type !== 'totp' || !factor.secretSealed) continue;
        const step = await verifyTotp(box.open(factor.secretSealed, sealPurpose(factor.id)), code, clock.now());
        if (step !== null && (await claimStep(factor.id, step, false))) return true;
      }
      return false;
    },

    async addPending(userId, type, options = {}) {
      if (!(CODE_FACTOR_TYPES as readonly string[]).includes(type)) {
        throw new AppError(400, 'factor.invalid_type', `A code factor is one of ${CODE_FACTOR_TYPES.join(', ')}`);
      }
      const needsPhone = type !== 'email';
      if (!needsPhone && options.phone !== undefined) throw new AppError(400, 'factor.unexpected_phone', 'An email factor has no phone number');
      const phone = needsPhone ? cleanPhone(options.phone) : null;
      const label = cleanLabel(options.label, type);
      await requireUser(userId);
      const em = db.em();
      if (await em.count(MfaFactorEntity, { user: userId, type, phone, confirmedAt: { $ne: null } })) {
        throw conflict('factor.exists', 'This factor is already set up');
      }
      const row = await em.transactional(async (tx) => {
        await tx.nativeDelete(MfaFactorEntity, { user: userId, type, confirmedAt: null });
        return tx.create(MfaFactorEntity, {
          id: randomUUID(),
          user: userId,
          type,
          label,
          secretSealed: null,
          phone,
          confirmedAt: null,
          lastUsedStep: null,
          lastUsedAt: null,
          preferred: false,
          createdAt: now(),
        });
      });
      return toFactor(row);
    },

    async confirm(userId, factorId) {
      if (!isId(userId) || !isId(factorId)) throw factorNotFound();
      const where = { id: factorId, user: userId, type: { $in: [...CODE_FACTOR_TYPES] } };
      await db.em().nativeUpdate(MfaFactorEntity, { ...where, confirmedAt: null }, { confirmedAt: now() });
      const row = await db.em().findOne(MfaFactorEntity, where);
      if (!row) throw factorNotFound();
      return toFactor(row);
    },

    async remove(userId, factorId) {
      if (!isId(userId) || !isId(factorId)) throw factorNotFound();
      if ((await db.em().nativeDelete(MfaFactorEntity, { id: factorId, user: userId })) !== 1) throw factorNotFound();
    },

    async setPreferred(userId, factorId) {
      if (!isId(userId) || !isId(factorId)) throw factorNotFound();
      await db.em().transactional(async (em) => {
        const marked = await em.nativeUpdate(MfaFactorEntity, { id: factorId, user: userId, confirmedAt: { $ne: null } }, { preferred: true });
        if (marked !== 1) throw factorNotFound();
        await em.nativeUpdate(MfaFactorEntity, { user: userId, id: { $ne: factorId }, preferred: true }, { preferred: false });
      });
    },

    async removeAll(userId) {
      if (!isId(userId)) return { factors: 0, recoveryCodes: 0 };
      return db.em().transactional(async (em) => {
        await em.nativeDelete(MfaFactorEntity, { user: userId, confirmedAt: null });
        const factors = await em.nativeDelete(MfaFactorEntity, { user: userId });
        await em.nativeDelete(RecoveryCodeEntity, { user: userId, usedAt: { $ne: null } });
        const recoveryCodes = await em.nativeDelete(RecoveryCodeEntity, { user: userId });
        return { factors, recoveryCodes };
      });
    },

    recoveryCodes: createRecoveryCodes({ db, clock }),
  };
  return service;
}
