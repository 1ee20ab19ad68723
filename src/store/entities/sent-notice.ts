import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

export const SENT_NOTICE_KINDS = ['password_expiry', 'inactivity'] as const;
export type SentNoticeKind = (typeof SENT_NOTICE_KINDS)[number];

/**
 * Warnings of a coming deadline that went out (a password's expiry, a deactivation for
 * inactivity), one row per warning: the row is written before the email is sent, and its unique
 * key (user, kind, deadline, days before) lets only one job run, of any replica, send it.
 */
export const SentNoticeEntity = defineEntity({
  name: 'SentNotice',
  tableName: 'sent_notices',
  uniques: [{ properties: ['user', 'kind', 'deadline', 'daysBefore'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    kind: p.string().length(32).$type<SentNoticeKind>(),
    /** when the password expires, or the account would be deactivated */
    deadline: p.datetime(),
    /** the warning's place in the tenant's list (14 and 3 days before, say) */
    daysBefore: p.integer(),
    sentAt: p.datetime(),
  },
});
