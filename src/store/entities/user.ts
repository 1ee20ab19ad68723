import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';

export const USER_ROLES = ['owner', 'admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const USER_STATUSES = ['active', 'invited', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const DATE_FORMATS = ['auto', 'ymd', 'dmy', 'mdy'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];
export const TIME_FORMATS = ['auto', '24h', '12h'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];
export const DISTANCE_UNITS = ['auto', 'km', 'mi'] as const;
export type DistanceUnit = (typeof DISTANCE_UNITS)[number];

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  uniques: [{ properties: ['tenant', 'email'] }],
  properties: {
    id: p.uuid().primary(),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    /** stored lower-cased and NFKC-normalised */
    email: p.string().length(320),
    emailVerified: p.boolean().default(false),
    firstName: p.string().length(100).default(''),
    lastName: p.string().length(100).default(''),
    role: p.string().length(16).$type<UserRole>().default('member'),
    status: p.string().length(16).$type<UserStatus>().default('active'),
    /** the next sign-in goes through the change-password step (admin reset, reactivation) */
    mustChangePassword: p.boolean().default(false),
    /**
     * Set when the password is known or feared to be compromised (an admin's reset, "this wasn't
     * me"): from then on the password signs nothing in; only the emailed reset link (or a new
     * invitation) restores access, and choosing the new password clears it.
     */
    resetRequiredAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
    /** when the user last completed a second factor: a remembered device asks again once this is too old */
    lastSecondFactorAt: p.datetime().nullable(),
    /** regional settings (account console): null / 'auto' follow the browser and the language */
    locale: p.string().length(16).nullable(),
    /** the language of emails to the user ("form default language"; null: the interface language) */
    emailLocale: p.string().length(16).nullable(),
    timeZone: p.string().length(64).nullable(),
    dateFormat: p.string().length(8).$type<DateFormat>().default('auto'),
    timeFormat: p.string().length(8).$type<TimeFormat>().default('auto'),
    distanceUnit: p.string().length(8).$type<DistanceUnit>().default('auto'),
    /** the application (client id, of the user's tenant) a sign-in no application asked for ends at */
    startClientId: p.string().length(64).nullable(),
  },
});
