import { defineEntity, p } from '@mikro-orm/core';

export const SigningKeyEntity = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  /** one active key per algorithm, even when replicas start at the same moment on an empty table */
  uniques: [{ name: 'signing_keys_one_active_per_alg', properties: ['alg'], where: { retiredAt: null } }],
  properties: {
    kid: p.string().length(64).primary(),
    alg: p.string().length(16),
    publicJwk: p.json<Record<string, unknown>>(),
    /** private JWK as JSON, sealed with KEY_ENCRYPTION_KEY */
    privateSealed: p.text(),
    createdAt: p.datetime(),
    /** set when a newer key of the same alg became active; the key then only verifies */
    retiredAt: p.datetime().nullable(),
    /** after this instant the key is no longer published */
    publishUntil: p.datetime().nullable(),
  },
});
