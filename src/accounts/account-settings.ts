import { z } from 'zod';
import type { Database } from '../store/database.ts';
import { DATE_FORMATS, DISTANCE_UNITS, TIME_FORMATS, type DateFormat, type DistanceUnit, type TimeFormat } from '../store/entities/user.ts';
import { SUPPORTED_LOCALES } from '../lib/locale-match.ts';
import type { AuditLog } from './audit.ts';
import { auditFacts, loadUser, type ActorFacts } from './account-admin.ts';

/** the time zones a user may choose: the runtime's IANA zones, plus UTC itself */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone')];
const ZONES = new Set(TIME_ZONES);

/** a user's regional settings; null means "automatic" (the browser's language, the zone of the page) */
export interface RegionalSettings {
  locale: string | null;
  emailLocale: string | null;
  timeZone: string | null;
  dateFormat: DateFormat;
  timeFormat: TimeFormat;
  distanceUnit: DistanceUnit;
}

export interface AccountSettings extends RegionalSettings {
  /** the application a sign-in nobody asked for ends at (null: the account console) */
  startClientId: string | null;
}

const AUTO = 'auto';
const language = z.enum([AUTO, ...SUPPORTED_LOCALES], { error: 'is not one of the languages offered' });
const orNull = (v: string) => (v === AUTO ? null : v);

/** what the regional form sends: every field a fixed choice ("auto" included) */
export const regionalSettingsSchema = z
  .object({
    locale: language.transform(orNull),
    emailLocale: language.transform(orNull),
    timeZone: z
      .string()
      .trim()
      .max(64)
      .refine((v) => v === AUTO || ZONES.has(v), { error: 'is not a known time zone' })
      .transform(orNull),
    dateFormat: z.enum(DATE_FORMATS, { error: 'is not one of the date formats offered' }),
    timeFormat: z.enum(TIME_FORMATS, { error: 'is not one of the time formats offered' }),
    distanceUnit: z.enum(DISTANCE_UNITS, { error: 'is not one of the units offered' }),
  })
  .strict();

const REGIONAL_FIELDS = ['locale', 'emailLocale', 'timeZone', 'dateFormat', 'timeFormat', 'distanceUnit'] as const;

export interface AccountSettingsService {
  get(userId: string): Promise<AccountSettings>;
  /** stores already validated settings (regionalSettingsSchema); audited with before/after when something changed */
  updateRegional(input: { userId: string; settings: RegionalSettings } & ActorFacts): Promise<AccountSettings>;
  /** the caller checked that the client is one the user may start at (start-page choices); null: the console */
  setStartClient(input: { userId: string; clientId: string | null } & ActorFacts): Promise<AccountSettings>;
}

type SettingsRow = Record<(typeof REGIONAL_FIELDS)[number], unknown> & { startClientId?: string | null };
const toSettings = (u: SettingsRow): AccountSettings => ({
  locale: (u.locale as string | null) ?? null,
  emailLocale: (u.emailLocale as string | null) ?? null,
  timeZone: (u.timeZone as string | null) ?? null,
  dateFormat: u.dateFormat as DateFormat,
  timeFormat: u.timeFormat as TimeFormat,
  distanceUnit: u.distanceUnit as DistanceUnit,
  startClientId: u.startClientId ?? null,
});

export function createAccountSettings(deps: { db: Database; audit: AuditLog }): AccountSettingsService {
  const { db, audit } = deps;
  return {
    async get(userId) {
      return toSettings(await loadUser(db.em(), userId));
    },

    async updateRegional(input) {
      const facts = auditFacts(input);
      const em = db.em();
      const entity = await loadUser(em, input.userId);
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      for (const field of REGIONAL_FIELDS) {
        const value = input.settings[field];
        if ((entity[field] ?? null) === value) continue;
        before[field] = entity[field] ?? null;
        after[field] = value;
        (entity as Record<string, unknown>)[field] = value;
      }
      if (!Object.keys(after).length) return toSettings(entity);
      await em.flush();
      await audit.record({ ...facts, tenantId: entity.tenant.id, userId: entity.id, action: 'user.settings_updated', details: { before, after } });
      return toSettings(entity);
    },

    async setStartClient(input) {
      const facts = auditFacts(input);
      const em = db.em();
      const entity = await loadUser(em, input.userId);
      const previous = entity.startClientId ?? null;
      if (previous === input.clientId) return toSettings(entity);
      entity.startClientId = input.clientId;
      await em.flush();
      await audit.record({
        ...facts,
        tenantId: entity.tenant.id,
        userId: entity.id,
        action: 'user.start_page_changed',
        details: { before: { startClientId: previous }, after: { startClientId: input.clientId } },
      });
      return toSettings(entity);
    },
  };
}
