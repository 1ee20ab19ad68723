import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, issuerOf, loadSettings } from '../../src/config/load.ts';
import { resolveSecrets } from '../../src/app/secrets.ts';

/** the ConfigError thrown by fn, or a failure if it does not throw one */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

const named = (err: ConfigError, setting: string) => err.problems.filter((p) => p.startsWith(`${setting}:`));

describe('loadSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has working defaults for an empty environment', () => {
    const s = loadSettings({});
    expect(s.NODE_ENV).to.equal('development');
    expect(s.PORT).to.equal(3000);
    expect(s.HOST).to.equal('0.0.0.0');
    expect(s.ISSUER).to.equal(undefined);
    expect(issuerOf(s)).to.equal('http://localhost:3000');
    expect(s.DATABASE_URL).to.equal(undefined);
    expect(s.REDIS_URL).to.equal(undefined);
    expect(s.COOKIE_KEYS).to.deep.equal([]);
    expect(s.TRUST_PROXY).to.deep.equal([]);
    expect(s.KEY_ENCRYPTION_KEY).to.equal(undefined);
    expect(s.BODY_LIMIT_KB).to.equal(64);
    expect(s.OUTBOUND_ALLOW_PRIVATE_ADDRESSES).to.equal(false);
    expect(s.ARGON2_MEMORY_KIB).to.be.at.least(19456);
  });

  it('treats empty variables as unset and coerces numbers, lists and flags', () => {
    const s = loadSettings({ PORT: '8080', ISSUER: '', TRUST_PROXY: ' 10.0.0.0/8 , ::1 ', OUTBOUND_ALLOW_PRIVATE_ADDRESSES: '1' });
    expect(s.PORT).to.equal(8080);
    expect(s.ISSUER).to.equal(undefined);
    expect(s.TRUST_PROXY).to.deep.equal(['10.0.0.0/8', '::1']);
    expect(s.OUTBOUND_ALLOW_PRIVATE_ADDRESSES).to.equal(true);
  });

  for (const [setting, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['KEY_ENCRYPTION_KEY', Buffer.alloc(16, 7).toString('base64')],
    ['KEY_ENCRYPTION_KEY', Buffer.alloc(33, 7).toString('base64')],
    ['TRUST_PROXY', 'notanip'],
    ['TRUST_PROXY', '10.0.0.0/8,10.0.0.0/99'],
    ['COOKIE_KEYS', 'short'],
    ['COOKIE_KEYS', `${'k'.repeat(40)},short`],
    ['ISSUER', 'https://login.example.com/'],
    ['ISSUER', 'ftp://login.example.com'],
    ['ISSUER', 'https://login.example.com?x=1'],
    ['NODE_ENV', 'staging'],
  ] as const) {
    it(`rejects ${setting}=${value.length > 30 ? `${value.slice(0, 12)}… (${value.length} chars)` : value} naming the setting`, () => {
      const err = configError(() => loadSettings({ [setting]: value }));
      expect(err.problems).to.have.length(1);
      expect(named(err, setting), err.problems.join('\n')).to.have.length(1);
      expect(err.message).to.include(setting);
    });
  }

  it('accepts a 32-byte key, long cookie keys and an https origin as issuer', () => {
    const key = randomBytes(32).toString('base64');
    const s = loadSettings({ KEY_ENCRYPTION_KEY: key, COOKIE_KEYS: `${'a'.repeat(32)},${'b'.repeat(40)}`, ISSUER: 'https://login.example.com:8443' });
    expect(s.KEY_ENCRYPTION_KEY).to.equal(key);
    expect(s.COOKIE_KEYS).to.have.length(2);
    expect(issuerOf(s)).to.equal('https://login.example.com:8443');
  });

  it('refuses an issuer with a path (the provider is mounted at the root)', () => {
    const err = configError(() => loadSettings({ ISSUER: 'https://example.com/idp' }));
    expect(named(err, 'ISSUER')).to.have.length(1);
  });

  it('gives sign-in sessions a 24-hour absolute lifetime beside the idle timeout by default', () => {
    const s = loadSettings({});
    expect(s.SESSION_TTL).to.equal(86400);
    expect(s.SESSION_MAX_LIFETIME).to.equal(86400);
    const shorter = loadSettings({ SESSION_TTL: '300', SESSION_MAX_LIFETIME: '600' });
    expect([shorter.SESSION_TTL, shorter.SESSION_MAX_LIFETIME]).to.deep.equal([300, 600]);
    expect(loadSettings({ SESSION_TTL: '3600', SESSION_MAX_LIFETIME: '3600' }).SESSION_MAX_LIFETIME).to.equal(3600);
  });

  it('refuses an absolute session lifetime shorter than the idle timeout, with other problems', () => {
    const err = configError(() => loadSettings({ SESSION_TTL: '7200', SESSION_MAX_LIFETIME: '3600', PORT: 'abc' }));
    expect(err.problems).to.deep.equal([
      'PORT: Invalid input: expected number, received NaN',
      'SESSION_MAX_LIFETIME: must be at least SESSION_TTL (7200): a session cannot be idle for longer than it may live',
    ]);
    expect(
      named(
        configError(() => loadSettings({ SESSION_MAX_LIFETIME: '299' })),
        'SESSION_MAX_LIFETIME',
      ),
    ).to.have.length(1);
  });
  it('reports several problems at once', () => {
    const err = configError(() => loadSettings({ PORT: 'abc', DATABASE_URL: 'mysql://x', TRUST_PROXY: 'notanip', ISSUER: 'https://x.example/' }));
    for (const setting of ['PORT', 'DATABASE_URL', 'TRUST_PROXY', 'ISSUER']) expect(named(err, setting), setting).to.have.length(1);
    expect(err.problems).to.have.length(4);
  });

  it('reads LATCHKEY_CONFIG_FILE and lets the environment override it', () => {
    const file = join(dir, 'latchkey.json');
    writeFileSync(file, JSON.stringify({ PORT: 4000, LOG_LEVEL: 'warn', TRUST_PROXY: ['10.0.0.1', '10.0.0.2'], ISSUER: 'https://from-file.example' }));
    const s = loadSettings({ LATCHKEY_CONFIG_FILE: file, PORT: '5000' });
    expect(s.PORT).to.equal(5000);
    expect(s.LOG_LEVEL).to.equal('warn');
    expect(s.TRUST_PROXY).to.deep.equal(['10.0.0.1', '10.0.0.2']);
    expect(s.ISSUER).to.equal('https://from-file.example');
  });

  it('validates values from the file like values from the environment', () => {
    const file = join(dir, 'latchkey.json');
    writeFileSync(file, JSON.stringify({ PORT: 'abc' }));
    expect(
      named(
        configError(() => loadSettings({ LATCHKEY_CONFIG_FILE: file })),
        'PORT',
      ),
    ).to.have.length(1);
    // the environment fixing the value wins
    expect(loadSettings({ LATCHKEY_CONFIG_FILE: file, PORT: '1234' }).PORT).to.equal(1234);
  });

  it('reports an unknown key in the file together with other problems', () => {
    const file = join(dir, 'latchkey.json');
    writeFileSync(file, JSON.stringify({ PORTT: 4000, DATABASE_URL: 'mysql://x' }));
    const err = configError(() => loadSettings({ LATCHKEY_CONFIG_FILE: file }));
    expect(named(err, 'PORTT')[0]).to.include('unknown setting');
    expect(named(err, 'DATABASE_URL')).to.have.length(1);
  });

  it('reports an unreadable or non-object file under LATCHKEY_CONFIG_FILE', () => {
    expect(
      named(
        configError(() => loadSettings({ LATCHKEY_CONFIG_FILE: join(dir, 'missing.json') })),
        'LATCHKEY_CONFIG_FILE',
      ),
    ).to.have.length(1);
    for (const text of ['{not json', '[1,2]', 'null', '"text"']) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      const err = configError(() => loadSettings({ LATCHKEY_CONFIG_FILE: file }));
      expect(named(err, 'LATCHKEY_CONFIG_FILE'), text).to.have.length(1);
    }
  });
});

describe('resolveSecrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses production without COOKIE_KEYS and KEY_ENCRYPTION_KEY, naming both', () => {
    const err = configError(() => resolveSecrets(loadSettings({ NODE_ENV: 'production', DATA_DIR: dir })));
    expect(named(err, 'COOKIE_KEYS')).to.have.length(1);
    expect(named(err, 'KEY_ENCRYPTION_KEY')).to.have.length(1);
    expect(existsSync(join(dir, 'secrets.json')), 'nothing is generated in production').to.equal(false);
  });

  it('refuses production with only one of them, naming the missing one', () => {
    const err = configError(() =>
      resolveSecrets(loadSettings({ NODE_ENV: 'production', DATA_DIR: dir, COOKIE_KEYS: 'c'.repeat(32), SMTP_URL: 'smtp://mail.example:587' })),
    );
    expect(err.problems).to.have.length(1);
    expect(named(err, 'KEY_ENCRYPTION_KEY')).to.have.length(1);
  });

  it('refuses production without SMTP_URL: reset links and lock notices must really be sent', () => {
    const key = randomBytes(32).toString('base64');
    const err = configError(() =>
      resolveSecrets(loadSettings({ NODE_ENV: 'production', DATA_DIR: dir, COOKIE_KEYS: 'c'.repeat(32), KEY_ENCRYPTION_KEY: key })),
    );
    expect(err.problems).to.deep.equal(['SMTP_URL: required when NODE_ENV=production']);
  });

  it('uses the configured secrets as they are', () => {
    const key = randomBytes(32);
    const s = resolveSecrets(
      loadSettings({
        NODE_ENV: 'production',
        DATA_DIR: dir,
        COOKIE_KEYS: 'c'.repeat(32),
        KEY_ENCRYPTION_KEY: key.toString('base64'),
        SMTP_URL: 'smtp://mail.example:587',
      }),
    );
    expect(s.source).to.equal('settings');
    expect(s.cookieKeys).to.deep.equal(['c'.repeat(32)]);
    expect(s.keyEncryptionKey.equals(key)).to.equal(true);
  });

  it('generates DATA_DIR/secrets.json once in development (mode 0600) and reuses it', () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = resolveSecrets(loadSettings({ DATA_DIR: dataDir }));
    const path = join(dataDir, 'secrets.json');
    expect(first.source).to.equal('data-dir');
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(first.keyEncryptionKey).to.have.length(32);
    expect(first.cookieKeys).to.have.length(1);
    expect(first.cookieKeys[0]!.length).to.be.at.least(32);
    const text = readFileSync(path, 'utf8');

    const second = resolveSecrets(loadSettings({ DATA_DIR: dataDir }));
    expect(second.cookieKeys).to.deep.equal(first.cookieKeys);
    expect(second.keyEncryptionKey.equals(first.keyEncryptionKey)).to.equal(true);
    expect(readFileSync(path, 'utf8'), 'file untouched').to.equal(text);
  });

  it('fills in only the missing secret from the file in development', () => {
    const cookie = 'd'.repeat(32);
    const s = resolveSecrets(loadSettings({ DATA_DIR: dir, COOKIE_KEYS: cookie }));
    expect(s.cookieKeys).to.deep.equal([cookie]);
    const stored = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { keyEncryptionKey: string };
    expect(s.keyEncryptionKey.equals(Buffer.from(stored.keyEncryptionKey, 'base64'))).to.equal(true);
  });

  for (const text of ['{broken', '{}', 'null', '{"cookieKeys":"x"}']) {
    it(`refuses a damaged secrets.json (${text}) with a problem naming DATA_DIR`, () => {
      writeFileSync(join(dir, 'secrets.json'), text, { mode: 0o600 });
      expect(
        named(
          configError(() => resolveSecrets(loadSettings({ DATA_DIR: dir }))),
          'DATA_DIR',
        ),
      ).to.have.length(1);
      expect(readFileSync(join(dir, 'secrets.json'), 'utf8'), 'left for the operator to inspect').to.equal(text);
    });
  }
});

describe('Twilio settings', () => {
  const sid = `AC${'0123456789abcdef'.repeat(2)}`;
  const token = 'f'.repeat(32);
  const complete = { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_FROM: '+14155550100' };

  it('are off by default and aim at api.twilio.com', () => {
    const s = loadSettings({});
    expect([s.TWILIO_ACCOUNT_SID, s.TWILIO_AUTH_TOKEN, s.TWILIO_FROM]).to.deep.equal([undefined, undefined, undefined]);
    expect(s.TWILIO_API_BASE_URL).to.equal('https://api.twilio.com');
  });

  it('accept a complete set and an http stand-in, dropping a trailing slash', () => {
    const s = loadSettings({ ...complete, TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(s.TWILIO_ACCOUNT_SID).to.equal(sid);
    expect(s.TWILIO_AUTH_TOKEN).to.equal(token);
    expect(s.TWILIO_FROM).to.equal('+14155550100');
    expect(s.TWILIO_API_BASE_URL).to.equal('http://127.0.0.1:4010');
  });

  for (const [setting, value] of [
    ['TWILIO_ACCOUNT_SID', `SK${'0'.repeat(32)}`],
    ['TWILIO_ACCOUNT_SID', `AC${'0'.repeat(31)}`],
    ['TWILIO_ACCOUNT_SID', `AC${'g'.repeat(32)}`],
    ['TWILIO_AUTH_TOKEN', 'short'],
    ['TWILIO_AUTH_TOKEN', `${'a'.repeat(20)} ${'b'.repeat(20)}`],
    ['TWILIO_FROM', '4155550100'],
    ['TWILIO_FROM', '+0155550100'],
    ['TWILIO_FROM', '+1 415 555 0100'],
  ] as const) {
    it(`rejects ${setting}=${value} naming the setting`, () => {
      const err = configError(() => loadSettings({ ...complete, [setting]: value }));
      expect(err.problems, err.problems.join('\n')).to.have.length(1);
      expect(named(err, setting)).to.have.length(1);
    });
  }

  for (const value of ['ftp://api.twilio.com', 'https://user:pass@gw.example', 'https://gw.example/?x=1', 'https://gw.example/#x', 'api.twilio.com']) {
    it(`rejects TWILIO_API_BASE_URL=${value}`, () => {
      expect(
        named(
          configError(() => loadSettings({ TWILIO_API_BASE_URL: value })),
          'TWILIO_API_BASE_URL',
        ),
      ).to.have.length(1);
    });
  }

  it('never repeats the auth token in a problem', () => {
    const secret = 'S3cret token with spaces';
    const err = configError(() => loadSettings({ ...complete, TWILIO_AUTH_TOKEN: secret }));
    expect(err.message).not.to.include(secret);
    expect(err.message).not.to.include('S3cret');
  });

  it('wants all three credentials or none, naming each missing one', () => {
    const onlySid = configError(() => loadSettings({ TWILIO_ACCOUNT_SID: sid }));
    expect(onlySid.problems).to.have.length(2);
    expect(named(onlySid, 'TWILIO_AUTH_TOKEN')[0]).to.include('TWILIO_ACCOUNT_SID');
    expect(named(onlySid, 'TWILIO_FROM')).to.have.length(1);
    const noFrom = configError(() => loadSettings({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token }));
    expect(noFrom.problems).to.have.length(1);
    expect(named(noFrom, 'TWILIO_FROM')[0]).to.include('set all three');
  });

  it('reports a missing credential together with unrelated problems', () => {
    const err = configError(() => loadSettings({ PORT: 'abc', TWILIO_FROM: '+14155550100' }));
    expect(named(err, 'PORT')).to.have.length(1);
    expect(named(err, 'TWILIO_ACCOUNT_SID')).to.have.length(1);
    expect(named(err, 'TWILIO_AUTH_TOKEN')).to.have.length(1);
  });
});
