import { z } from 'zod';
import { isValidCidrOrAddress } from '../lib/ip.ts';

/**
 * Every setting Latchkey reads, with its default, its validation and its description.
 * docs/configuration.md is checked against this schema by a test.
 */

const seconds = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === '' || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    })
    .transform((v) => (v ? v : undefined));

const flag = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const present = (v: unknown) => typeof v === 'string' && v.trim() !== '';

const optionalMatching = (pattern: RegExp, message: string) =>
  z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === '' || pattern.test(v), { message })
    .transform((v) => (v ? v : undefined));

const TWILIO_CREDENTIALS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const;

const list = z
  .string()
  .trim()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

export const settingsSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'])
      .default('development')
      .describe('development, test or production; production refuses to start without COOKIE_KEYS and KEY_ENCRYPTION_KEY'),
    HOST: z.string().trim().min(1).default('0.0.0.0').describe('Address the HTTP server binds to (an IP address or host name)'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('TCP port of the HTTP server, 0–65535 (0 picks a free one)'),
    ISSUER: z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || /^https?:\/\/[^/?#@\s]+$/.test(v), {
        message: 'must be an http(s) origin such as https://login.example.com (no path, query or trailing slash)',
      })
      .describe('Public URL of Latchkey, the OpenID issuer identifier [http://localhost:PORT]'),
    DATABASE_URL: optionalUrl(['postgres', 'postgresql']).describe('PostgreSQL connection URL; without it the embedded SQLite file under DATA_DIR is used'),
    REDIS_URL: optionalUrl(['redis', 'rediss']).describe('Redis connection URL; without it an in-process store is used (one process only)'),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only')
      .default('latchkey:')
      .describe('Prefix of every Redis key (1–64 letters, digits, : _ . -), so several deployments can share one Redis'),
    DATA_DIR: z
      .string()
      .trim()
      .min(1)
      .default('./data')
      .describe('Folder (created if missing) for the embedded SQLite database and the generated development secrets'),
    COOKIE_KEYS: list
      .refine((keys) => keys.every((k) => k.length >= 32), { message: 'each key must be at least 32 characters' })
      .describe('Comma-separated cookie signing keys, newest first (rotate by prepending); required in production'),
    KEY_ENCRYPTION_KEY: z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || v === '' || Buffer.from(v, 'base64').length === 32, {
        message: 'must be 32 random bytes in base64 (openssl rand -base64 32)',
      })
      .transform((v) => (v ? v : undefined))
      .describe('Base64 of 32 random bytes; encrypts signing keys and client secrets at rest; required in production'),
    TRUST_PROXY: list
      .refine((items) => items.every(isValidCidrOrAddress), { message: 'must be IP addresses or CIDR ranges, comma-separated' })
      .describe('Proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Log level: fatal, error, warn, info, debug, trace or silent'),
    ARGON2_MEMORY_KIB: z.coerce
      .number()
      .int()
      .min(7168)
      .max(1048576)
      .default(19456)
      .describe('argon2id memory cost in KiB, 7168–1048576 (OWASP: 19456 with t=2)'),
    ARGON2_ITERATIONS: z.coerce.number().int().min(1).max(20).default(2).describe('argon2id time cost (iterations), 1–20'),
    ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1).describe('argon2id parallelism, 1–16'),
    ARGON2_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4).describe('argon2id hashes computed at once, 1–64; more wait in a queue'),
    ARGON2_MAX_QUEUE: z.coerce
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(64)
      .describe('argon2id jobs that may wait, 0–10000; past that sign-ins get 503 with Retry-After'),
    SMTP_URL: optionalUrl(['smtp', 'smtps']).describe(
      'SMTP server for email (smtp://user:pass@host:587 or smtps://…); without it, outside production, mail goes to /dev/outbox',
    ),
    MAIL_FROM: z.string().trim().min(3).max(200).default('Latchkey <no-reply@localhost>').describe('From address of every email Latchkey sends'),
    TWILIO_ACCOUNT_SID: optionalMatching(
      /^AC[0-9a-fA-F]{32}$/,
      'must be AC followed by 32 hexadecimal digits (the Account SID of the Twilio console)',
    ).describe('Twilio Account SID (AC + 32 hex digits) for SMS and voice codes; set with TWILIO_AUTH_TOKEN and TWILIO_FROM, or none of them'),
    TWILIO_AUTH_TOKEN: optionalMatching(/^[\x21-\x7e]{16,256}$/, "must be 16–256 visible ASCII characters (Twilio's are 32 hexadecimal digits)").describe(
      'Twilio auth token (secret, never logged); without the three Twilio settings, outside production, SMS and calls go to /dev/outbox',
    ),
    TWILIO_FROM: optionalMatching(/^\+[1-9][0-9]{6,14}$/, 'must be a phone number in E.164 form, such as +14155550100').describe(
      'Sending phone number of the Twilio account in E.164 form (+ and 7–15 digits), for SMS and calls',
    ),
    TWILIO_API_BASE_URL: z
      .string()
      .trim()
      .default('https://api.twilio.com')
      .refine(isPlainHttpBase, {
        message: 'must be an http(s) URL without credentials, query or fragment, such as https://api.twilio.com',
      })
      .transform((v) => v.replace(/\/+$/, ''))
      .describe('Where the Twilio REST API is reached (http or https); point it at a stand-in or a private gateway'),
    SECURITY_CONTACT: z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || v === '' || /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+|tel:\+[0-9]{7,15})$/.test(v), {
        message: 'must be a mailto:, https:// or tel:+ URI, such as mailto:security@example.com',
      })
      .transform((v) => (v ? v : undefined))
      .describe(
        'Where vulnerabilities are reported (mailto:, https:// or tel: URI), published in /.well-known/security.txt and on /security [mailto:security@<issuer host>]',
      ),
    SECURITY_POLICY_URL: optionalUrl(['https']).describe('Optional https URL of the vulnerability disclosure policy, listed in security.txt as Policy'),
    SECURITY_TXT_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(365)
      .default(180)
      .describe('security.txt Expires is this many days (1–365) after the server started; RFC 9116 asks for less than a year'),
    ACCESS_TOKEN_TTL: seconds(900, 60, 86400).describe('Access token lifetime in seconds, 60–86400'),
    ID_TOKEN_TTL: seconds(3600, 60, 86400).describe('ID token lifetime in seconds, 60–86400'),
    REFRESH_TOKEN_TTL: seconds(1209600, 300, 31536000).describe('Refresh token lifetime in seconds, 300–31536000 (rotated on every use)'),
    SESSION_TTL: seconds(86400, 300, 2592000).describe(
      'Idle timeout of a sign-in session in seconds, 300–2592000: a session that no authorization request (single sign-on) has used for this long ends; each use starts it again',
    ),
    SESSION_MAX_LIFETIME: seconds(86400, 300, 2592000).describe(
      'Absolute lifetime of a sign-in session in seconds, 300–2592000, at least SESSION_TTL: this long after it was created a session ends however much it is used, and the user signs in again',
    ),
    INTERACTION_TTL: seconds(900, 60, 86400).describe('How long a sign-in page stays valid, in seconds, 60–86400'),
    KEYS_RELOAD_INTERVAL: seconds(30, 1, 3600).describe('How often, in seconds (1–3600), a running server looks for signing keys rotated by another process'),
    BODY_LIMIT_KB: z.coerce.number().int().min(1).max(1024).default(64).describe('Largest accepted form or JSON body on our own routes, in KiB, 1–1024'),
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES: flag(false).describe(
      "true or false: let outgoing calls (back-channel logout, audit webhooks, clients' jwks_uri) reach loopback and private addresses; false guards against SSRF",
    ),
    FEDERATION_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(200)
      .max(60000)
      .default(10000)
      .describe(
        'Deadline in milliseconds (200–60000) for each call to an upstream OpenID Connect provider (discovery, keys, token); a slower provider ends the sign-in with a clear page',
      ),
    FEDERATION_ALLOW_HTTP: flag(false).describe(
      'true or false: accept http:// issuers for upstream providers (development and tests only; refused with NODE_ENV=production)',
    ),
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || v === '' || isPlainHttpBase(v), {
        message: 'must be an http(s) URL without credentials, query or fragment, such as http://otel-collector:4318',
      })
      .transform((v) => (v ? v.replace(/\/+$/, '') : undefined))
      .describe(
        'OpenTelemetry collector (OTLP over HTTP) to send traces to, such as http://otel-collector:4318 (spans go to <url>/v1/traces); unset means no tracing',
      ),
    DEMO_DATA: z
      .enum(['auto', 'on', 'off'])
      .default('auto')
      .describe(
        'auto, on or off: create and print a demo tenant, user and client on first start and serve /demo; auto means only on the embedded default outside production',
      ),
  })
  .superRefine(
    (settings, ctx) => {
      // `when` below runs this even when other settings are invalid, so every problem is reported at once.
      // compared only when each is valid on its own, so one bad value is reported once
      const sessionProblem = ctx.issues.some((issue) => issue.path?.[0] === 'SESSION_TTL' || issue.path?.[0] === 'SESSION_MAX_LIFETIME');
      if (!sessionProblem && settings.SESSION_MAX_LIFETIME < settings.SESSION_TTL) {
        ctx.addIssue({
          code: 'custom',
          path: ['SESSION_MAX_LIFETIME'],
          message: `must be at least SESSION_TTL (${settings.SESSION_TTL}): a session cannot be idle for longer than it may live`,
        });
      }
      if (settings.FEDERATION_ALLOW_HTTP === true && settings.NODE_ENV === 'production') {
        ctx.addIssue({
          code: 'custom',
          path: ['FEDERATION_ALLOW_HTTP'],
          message: 'must be false in production (upstream providers are reached over https only)',
        });
      }
      const given = TWILIO_CREDENTIALS.filter((name) => present(settings[name]));
      if (given.length === 0 || given.length === TWILIO_CREDENTIALS.length) return;
      for (const name of TWILIO_CREDENTIALS.filter((n) => !given.includes(n))) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `required because ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set (set all three Twilio credentials or none)`,
        });
      }
    },
    { when: () => true },
  );

function isPlainHttpBase(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      !url.username &&
      !url.password &&
      !url.search &&
      !url.hash &&
      !value.includes('?') &&
      !value.includes('#')
    );
  } catch {
    return false;
  }
}

export type Settings = z.infer<typeof settingsSchema>;
export const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];
