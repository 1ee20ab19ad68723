import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';

export interface RuntimeSecrets {
  cookieKeys: string[];
  keyEncryptionKey: Buffer;
  /** where they came from, for the start-up log line (never the values) */
  source: 'settings' | 'data-dir';
}

/**
 * COOKIE_KEYS and KEY_ENCRYPTION_KEY come from the settings. In production both are
 * required. Elsewhere, a missing one is generated once and kept in DATA_DIR/secrets.json
 * (mode 0600) so restarts keep sessions and keys readable.
 */
export function resolveSecrets(settings: Settings): RuntimeSecrets {
  const missing = [settings.COOKIE_KEYS.length ? undefined : 'COOKIE_KEYS', settings.KEY_ENCRYPTION_KEY ? undefined : 'KEY_ENCRYPTION_KEY'].filter(
    (x): x is string => Boolean(x),
  );
  if (settings.NODE_ENV === 'production') {
    // reset links and lock notices go by email; in production they must really leave
    const required = settings.SMTP_URL ? missing : [...missing, 'SMTP_URL'];
    if (required.length) throw new ConfigError(required.map((name) => `${name}: required when NODE_ENV=production`));
  }
  if (!missing.length) {
    return {
      cookieKeys: settings.COOKIE_KEYS,
      keyEncryptionKey: Buffer.from(settings.KEY_ENCRYPTION_KEY!, 'base64'),
      source: 'settings',
    };
  }
  const stored = readOrCreateDevSecrets(settings.DATA_DIR);
  return {
    cookieKeys: settings.COOKIE_KEYS.length ? settings.COOKIE_KEYS : stored.cookieKeys,
    keyEncryptionKey: Buffer.from(settings.KEY_ENCRYPTION_KEY ?? stored.keyEncryptionKey, 'base64'),
    source: 'data-dir',
  };
}

interface DevSecretsFile {
  cookieKeys: string[];
  keyEncryptionKey: string;
}

function readOrCreateDevSecrets(dataDir: string): DevSecretsFile {
  const path = join(dataDir, 'secrets.json');
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as DevSecretsFile;
    if (
      Array.isArray(parsed.cookieKeys) &&
      parsed.cookieKeys.length > 0 &&
      parsed.cookieKeys.every((k) => typeof k === 'string' && k.length >= 32) &&
      typeof parsed.keyEncryptionKey === 'string' &&
      Buffer.from(parsed.keyEncryptionKey, 'base64').length === 32
    )
      return parsed;
    throw new Error('incomplete secrets file'); // reported as damaged below, never overwritten
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError([`DATA_DIR: ${path} is unreadable or damaged; remove it to generate new secrets`]);
    }
  }
  const created: DevSecretsFile = {
    cookieKeys: [randomBytes(32).toString('base64url')],
    keyEncryptionKey: randomBytes(32).toString('base64'),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // another process (the CLI, a second start) created it first: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateDevSecrets(dataDir);
    throw err;
  }
  return created;
}
