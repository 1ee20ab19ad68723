import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBackend, type Backend } from '../../support/backends.ts';
import { cli, runCli, type CliResult } from '../../support/cli.ts';
import { POLICY_FLAGS, defaultText, mergePolicyLayers } from '../../../src/cli/policy-flags.ts';
import { defaultTenantPolicy, type TenantPolicy } from '../../../src/policy/tenant-policy.ts';

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const PRESET_FILE = fileURLToPath(new URL('../../../config/presets/optional-passphrase.json', import.meta.url));

/** the human-readable output, which runCli (always --json) does not show */
function runText(env: Record<string, string>, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout),
    );
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('CLI: tenant set-policy flags and tenant show --json (PostgreSQL)', () => {
  let backend: Backend;
  let env: Record<string, string>;
  const setPolicy = (...args: string[]) => runCli(env, ['tenant', 'set-policy', '--name', 'acme', ...args]);
  const storedPolicy = async () => (await cli(env, ['tenant', 'show', '--name', 'acme'])).policy as TenantPolicy;

  before(async () => {
    backend = await createBackend('postgres');
    env = backend.env;
    await cli(env, ['migrate']);
    await cli(env, ['tenant', 'create', '--name', 'acme', '--display-name', 'Acme Corp']);
  });
  after(async () => {
    await backend?.dispose();
  });

  it('shows the tenant and its effective policy as one JSON object', async () => {
    const result = await runCli(env, ['tenant', 'show', '--name', 'acme']);
    expect(result.code).to.equal(0);
    expect(lines(result.stdout)).to.have.length(1);
    expect(result.json).to.have.all.keys('ok', 'tenant', 'policy');
    expect(result.json.tenant).to.include({ name: 'acme', display_name: 'Acme Corp' });
    expect((result.json.tenant as { id: string }).id).to.match(/^[0-9a-f-]{36}$/);
    expect(result.json.policy).to.deep.equal(defaultTenantPolicy());
  });

  it('sets settings of every section and kind from flags; show --json reflects them', async () => {
    const result = await setPolicy(
      '--mfa-mode',
      'outside-allowlist',
      '--mfa-factors',
      'totp,sms',
      '--allowlist',
      '10.0.0.0/8,2001:db8::/32',
      '--network-strict',
      'true',
      '--trust-days',
      '7',
      '--recheck-days',
      '20',
      '--device-binding',
      'browser+ip',
      '--new-device-email',
      'false',
      '--lockout-max-failures',
      '3',
      '--lockout-window-minutes',
      '30',
      '--lockout-minutes',
      '60',
      '--lockout-ip-max-failures',
      '100',
      '--password-min-length',
      '12',
      '--password-classes',
      'digit,symbol',
      '--password-history',
      '10',
      '--password-max-age-days',
      '180',
      '--password-reject-common',
      'false',
      '--reset-link-minutes',
      '30',
      '--email-code-minutes',
      '15',
      '--code-max-attempts',
      '4',
      '--sends-per-hour',
      '10',
    );
    expect(result.code, result.stderr).to.equal(0);
    const expected = mergePolicyLayers(defaultTenantPolicy(), {
      password: { minLength: 12, requiredClasses: ['digit', 'symbol'], historyCount: 10, maxAgeDays: 180, rejectCommon: false, resetLinkMinutes: 30 },
      lockout: { maxFailures: 3, windowMinutes: 30, lockMinutes: 60, ipMaxFailures: 100 },
      mfa: { mode: 'outside-allowlist', factors: ['totp', 'sms'], emailCodeMinutes: 15, codeMaxAttempts: 4, sendsPerHour: 10 },
      devices: { trustDays: 7, recheckDays: 20, binding: 'browser+ip', newDeviceEmail: false },
      network: { allowlist: ['10.0.0.0/8', '2001:db8::/32'], strict: true },
    });
    expect(result.json.policy).to.deep.equal(expected);
    expect(await storedPolicy()).to.deep.equal(expected);

    // clearing: back to the NIST minimum and no composition rules; the rest stays
    expect((await setPolicy('--password-min-length', 'default', '--password-classes', '')).code).to.equal(0);
    const cleared = await storedPolicy();
    expect(cleared.password).to.include({ minLength: null, historyCount: 10 });
    expect(cleared.password.requiredClasses).to.deep.equal([]);
    expect(cleared.devices.trustDays).to.equal(7);
  });

  it('refuses a bad value with exit code 2 and one line naming the flag, storing nothing', async function () {
    this.timeout(120_000); // a dozen CLI processes, each starting a container
    const before = await storedPolicy();
    const cases: [string[], RegExp][] = [
      [['--mfa-mode', 'sometimes'], /^latchkey: --mfa-mode must be one of always, outside-allowlist, optional \(got "sometimes"\)$/],
      [['--allowlist', '10.0.0.0/33'], /^latchkey: --allowlist: "10\.0\.0\.0\/33" is not an IPv4 or IPv6 address or CIDR range/],
      [['--trust-days', '0'], /^latchkey: --trust-days must be a whole number from 1 to 365 \(got "0"\)$/],
      [['--network-strict', 'maybe'], /^latchkey: --network-strict must be true or false/],
      [['--mfa-factors', 'totp,fax'], /^latchkey: --mfa-factors must be a comma-separated list of passkey, totp, email, sms, voice/],
      [['--preset', 'nonesuch'], /^latchkey: --preset must be one of ip-allowlist, email-always, optional-passphrase/],
      // valid alone, but the tenant is in strict mode: emptying its allowlist would refuse every sign-in
      [['--allowlist', ''], /^latchkey: policy\.network\.strict: strict mode needs a non-empty allowlist/],
      [['--policy', '{"mfa":{"mode":"sometimes"}}'], /^latchkey: --policy: policy\.mfa\.mode: /],
      [
        ['--policy', '{"lockout":{"maxFailures":0}}', '--lockout-max-failures', '2', '--recheck-days', '400'],
        /^latchkey: --recheck-days must be a whole number from 1 to 365/,
      ],
    ];
    // each with a valid flag beside it, which must not be stored either
    const results = await Promise.all(cases.map(([args]) => setPolicy('--sends-per-hour', '42', ...args).then((r): [string[], CliResult] => [args, r])));
    results.forEach(([args, r], i) => {
      const why = `${args.join(' ')}: ${r.stderr}`;
      expect(r.code, why).to.equal(2);
      expect(lines(r.stderr), why).to.have.length(1);
      expect(lines(r.stderr)[0], why).to.match(cases[i]![1]);
      expect(r.json, why).to.include({ ok: false });
      expect(String(r.json.error), why).to.match(/^cli\.invalid_(option|policy)$/);
    });
    expect(await storedPolicy()).to.deep.equal(before);

    const nothing = await setPolicy();
    expect(nothing.code).to.equal(2);
    expect(nothing.stderr).to.match(/^latchkey: tenant set-policy needs --preset, --policy or at least one policy flag/);
    const unknown = await setPolicy('--trust-dayz', '3');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("Unknown option '--trust-dayz'");
    const noTenant = await runCli(env, ['tenant', 'set-policy', '--name', 'nobody', '--trust-days', '3']);
    expect(noTenant.code).to.equal(1);
    expect(noTenant.json.error).to.equal('tenant.not_found');
  });

  it('applies a preset first, then --policy, then flags; the allowlist is left alone', async () => {
    const before = await storedPolicy();
    const result = await setPolicy('--preset', 'email-always', '--policy', '{"devices":{"recheckDays":25,"trustDays":100}}', '--trust-days', '30');
    expect(result.code, result.stderr).to.equal(0);
    const after = await storedPolicy();
    expect(after.mfa).to.include({ mode: 'always', emailCodeMinutes: 10 });
    expect(after.mfa.factors).to.deep.equal(['email']);
    expect(after.devices).to.deep.equal({ trustDays: 30, recheckDays: 25, binding: 'browser+ip', newDeviceEmail: true });
    expect(after.network).to.deep.equal(before.network);
    expect(after.lockout).to.deep.equal(before.lockout);

    const fromFile = await setPolicy('--preset', PRESET_FILE);
    expect(fromFile.code, fromFile.stderr).to.equal(0);
    const passphrase = await storedPolicy();
    expect(passphrase.mfa.mode).to.equal('optional');
    expect(passphrase.mfa.factors).to.deep.equal(['totp']);
    expect(passphrase.password.recommendedLength).to.equal(30);
  });

  it('lists every policy flag with its default in --help', async () => {
    const result = await runCli(env, ['tenant', 'set-policy', '--help']);
    expect(result.code).to.equal(0);
    for (const f of POLICY_FLAGS) {
      const line = result.stdout.split('\n').find((l) => l.trimStart().startsWith(`--${f.flag} `) || l.trimStart().startsWith(`--${f.flag},`));
      expect(line, `--${f.flag}`)
        .to.be.a('string')
        .and.include(`[${defaultText(f)}]`);
    }
  });

  it('without --json, shows one line per setting with its value and flag', async () => {
    const text = await runText(env, ['tenant', 'show', '--name', 'acme']);
    expect(text).to.match(/^tenant: acme \(Acme Corp\)\nid: [0-9a-f-]{36}\nlogo: \(none\)\npolicy:\n/);
    expect(text).to.match(/^ {2}devices\.trustDays +30 +--trust-days$/m);
    expect(text).to.match(/^ {2}network\.allowlist +10\.0\.0\.0\/8,2001:db8::\/32 +--network-allowlist$/m);
    expect(text).to.match(/^ {2}password\.minLength +default \(NIST: 15, or 8 with mfa mode always\) +--password-min-length$/m);
    expect(lines(text)).to.have.length(4 + POLICY_FLAGS.length);
  });
});
