import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { settingsSchema } from '../../src/config/schema.ts';

/**
 * No Docker engine runs on these machines, so the image is checked from its Dockerfile:
 * pinned official bases, production dependencies only, a non-root user, the right port,
 * a health check, and nothing secret copied in.
 */

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions with line continuations joined and comments dropped; stage counts FROM lines. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (current && line.startsWith('#')) continue;
    current += `${current ? ' ' : ''}${line.replace(/\\$/, '').trim()}`;
    if (!line.endsWith('\\')) {
      logical.push(current);
      current = '';
    }
  }
  let stage = -1;
  return logical.map((line) => {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const instructions = parseDockerfile(read('Dockerfile'));
const pkg = JSON.parse(read('package.json')) as { version: string; license: string; devDependencies: Record<string, string> };
const finalStage = Math.max(...instructions.map((i) => i.stage));
const inFinal = (keyword: string) => instructions.filter((i) => i.stage === finalStage && i.keyword === keyword);
const SECRET_SETTINGS = ['DATABASE_URL', 'REDIS_URL', 'COOKIE_KEYS', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'TWILIO_AUTH_TOKEN'];

/** KEY=value pairs of ENV, ARG and LABEL lines (quotes removed). */
function pairs(args: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z0-9_.-]+)=("([^"]*)"|\S+)/g)) found[m[1]!] = m[3] ?? m[2]!;
  return found;
}

describe('Dockerfile', () => {
  const froms = instructions.filter((i) => i.keyword === 'FROM');
  const stageNames = froms.map((f) => /\bAS\s+(\S+)/i.exec(f.args)?.[1]).filter(Boolean);

  it('builds in several stages from the official Node slim image pinned by exact version, major >= 22', () => {
    expect(froms.length).to.be.at.least(2);
    for (const from of froms) {
      const image = from.args.split(/\s+/)[0]!;
      if (stageNames.includes(image)) continue;
      const match = /^node:(\d+)\.(\d+)\.(\d+)-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/.exec(image);
      expect(match, `${image} is not node:<major>.<minor>.<patch>-<debian>-slim`).to.not.equal(null);
      expect(Number(match![1]), image).to.be.at.least(22);
    }
  });

  it('runs the Node release the tests run on (package.json devDependencies.node)', () => {
    const pinned = pkg.devDependencies.node;
    for (const from of froms.filter((f) => f.args.startsWith('node:'))) expect(from.args).to.match(new RegExp(`^node:${pinned!.replace(/\./g, '\\.')}-`));
  });

  it('installs production dependencies only, and the toolchain stays in the build stage', () => {
    const installs = instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
    expect(installs).to.not.be.empty;
    for (const install of installs) {
      expect(install.args).to.match(/\bnpm ci\b/);
      expect(install.args).to.include('--omit=dev');
      expect(install.args).to.not.include('--ignore-scripts');
      expect(install.stage).to.be.below(finalStage);
    }
    for (const run of inFinal('RUN')) expect(run.args).to.not.match(/apt-get install|npm (ci|install)/);
    expect(inFinal('COPY').some((c) => /--from=\S+ \/app\/node_modules/.test(c.args))).to.equal(true);
  });

  it('ends as a numeric non-root user', () => {
    const users = inFinal('USER');
    expect(users).to.not.be.empty;
    const [user, group] = users.at(-1)!.args.split(':');
    expect(user).to.match(/^\d+$/);
    expect(Number(user)).to.be.above(0);
    if (group !== undefined) expect(Number(group)).to.be.above(0);
  });

  it('exposes the default PORT of src/config/schema.ts and sets the same PORT', () => {
    const port = String(settingsSchema.shape.PORT.parse(undefined));
    expect(inFinal('EXPOSE').map((e) => e.args)).to.deep.equal([port]);
    const env = Object.assign({}, ...inFinal('ENV').map((e) => pairs(e.args))) as Record<string, string>;
    expect(env.PORT).to.equal(port);
    expect(env.NODE_ENV).to.equal('production');
  });

  it('writes only under DATA_DIR, a volume owned by the runtime user', () => {
    const env = Object.assign({}, ...inFinal('ENV').map((e) => pairs(e.args))) as Record<string, string>;
    expect(env.DATA_DIR).to.equal('/data');
    expect(inFinal('VOLUME').map((v) => v.args)).to.deep.equal(['["/data"]']);
    const user = inFinal('USER').at(-1)!.args;
    expect(inFinal('RUN').some((r) => r.args.includes(`chown ${user} /data`))).to.equal(true);
    // the application files are copied as root and so stay read-only to the process
    for (const copy of inFinal('COPY')) expect(copy.args).to.not.include('--chown');
  });

  it('checks /healthz without curl (the slim image has none)', () => {
    const checks = inFinal('HEALTHCHECK');
    expect(checks).to.have.length(1);
    expect(checks[0]!.args).to.include('/healthz');
    expect(checks[0]!.args).to.match(/CMD \["node", "-e"/);
    expect(checks[0]!.args).to.not.match(/\b(curl|wget)\b/);
  });

  it("puts `latchkey` on PATH for the chart's migration and inactivity jobs", () => {
    expect(inFinal('RUN').some((r) => r.args.includes('ln -s /app/bin/latchkey.js /usr/local/bin/latchkey'))).to.equal(true);
    expect(inFinal('CMD').at(-1)!.args).to.equal('["node", "src/main.ts"]');
    expect(inFinal('ENTRYPOINT')).to.be.empty;
  });

  it('carries OCI labels that match package.json', () => {
    const labels = Object.assign({}, ...inFinal('LABEL').map((l) => pairs(l.args))) as Record<string, string>;
    const args = Object.assign({}, ...inFinal('ARG').map((a) => pairs(a.args))) as Record<string, string>;
    expect(labels['org.opencontainers.image.title']).to.equal('Latchkey');
    expect(labels['org.opencontainers.image.licenses']).to.equal(pkg.license);
    // the label holds the build argument's reference itself, unexpanded
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal text
    expect(labels['org.opencontainers.image.version']).to.equal('${VERSION}');
    expect(args.VERSION).to.equal(pkg.version);
    expect(labels).to.have.property('org.opencontainers.image.revision');
  });

  it('copies no secret-looking file and not the whole build context', () => {
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      expect(copy.keyword, 'ADD fetches URLs and unpacks archives: use COPY').to.equal('COPY');
      for (const source of sources) {
        expect(source, copy.args).to.not.match(/^\.\/?$/);
        expect(source, copy.args).to.not.match(/(^|\/)\.env|\.pem$|\.key$|id_rsa|secret|credential|\.npmrc|(^|\/)data\/?$/i);
      }
    }
  });

  it('bakes no secret setting into ENV or ARG', () => {
    for (const line of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      for (const name of Object.keys(pairs(line.args))) expect(SECRET_SETTINGS, `${line.keyword} ${name}`).to.not.include(name);
      for (const name of SECRET_SETTINGS) expect(line.args, `${line.keyword} ${line.args}`).to.not.include(name);
    }
  });
});

describe('.dockerignore', () => {
  const entries = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('keeps secrets, local data, installs, history and tests out of the build context', () => {
    for (const entry of [
      '.env',
      '.env.*',
      '**/.env',
      '**/.env.*',
      '*.pem',
      '*.key',
      '**/secrets.json',
      'data',
      'node_modules',
      '.git',
      'test',
      'bench',
      'docs',
      'helm',
      '.ci',
    ]) {
      expect(entries, entry).to.include(entry);
    }
  });

  it('does not exclude what the image copies', () => {
    const copied = instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const source of copied) expect(entries, source).to.not.include(source.replace(/\/$/, ''));
  });
});
