import { expect } from 'chai';
import type * as oidc from 'openid-client';
import * as jose from 'jose';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { migrate, withServices } from '../../support/accounts.ts';
import { createContainer, type Container } from '../../../src/app/container.ts';
import { loadSettings } from '../../../src/config/load.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';
import { cli } from '../../support/cli.ts';
import { SigningKeyEntity } from '../../../src/store/entities/index.ts';

for (const kind of BACKENDS) {
  describe(`signing keys (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let offsetMs = 0;
    before(async () => {
      f = await createFixture(kind, {
        env: { ID_TOKEN_TTL: '60', ACCESS_TOKEN_TTL: '60' },
        clock: { now: () => Date.now() + offsetMs },
      });
      config = await discover(f.server.url, f.client);
    });
    after(() => disposeFixture(f));

    const jwks = async () => (await (await fetch(config.serverMetadata().jwks_uri!)).json()) as { keys: Record<string, unknown>[] };

    it('generates ES256 and RS256 keys on first start, private parts sealed at rest', async () => {
      const { keys } = await jwks();
      expect(keys.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'RS256']);
      for (const k of keys) expect(k).to.not.have.any.keys('d', 'p', 'q');
      const rows = await f.server.container.db.em().find(SigningKeyEntity, {});
      expect(rows).to.have.length(2);
      for (const row of rows) {
        expect(row.privateSealed).to.match(/^v1\./);
        expect(row.privateSealed).to.not.include('"d"');
      }
    });

    it('rotates with the CLI: new keys sign, old ones stay published until their tokens expire', async () => {
      const before = await exchange(config, await signIn(config, f.client, f.user));
      const oldKid = jose.decodeProtectedHeader(before.id_token!).kid;

      const rotated = await cli(f.server.env, ['keys', 'rotate']);
      expect(rotated.created).to.have.length(2);
      expect(rotated.retired).to.include(oldKid);

      const published = await waitFor(async () => {
        const { keys } = await jwks();
        return keys.length === 4 ? keys : undefined;
      });
      const kids = published.map((k) => k.kid);
      expect(kids).to.include.members([oldKid, ...(rotated.created as string[])]);

      // a token signed before the rotation still verifies against the published set
      const remote = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      await jose.jwtVerify(before.id_token!, remote, { issuer: f.server.url, audience: f.client.clientId, currentDate: new Date() });

      const after = await exchange(config, await signIn(config, f.client, f.user));
      const newKid = jose.decodeProtectedHeader(after.id_token!).kid;
      expect(rotated.created).to.include(newKid);

      // once every token the old keys signed has expired (60 s TTL + 300 s skew), they are withdrawn
      offsetMs = 400_000;
      const remaining = await waitFor(async () => {
        const { keys } = await jwks();
        return keys.length === 2 ? keys : undefined;
      });
      expect(remaining.map((k) => k.kid).sort()).to.deep.equal([...(rotated.created as string[])].sort());
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('signing keys shared by replicas (PostgreSQL)', () => {
  let backend: Backend;
  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
  });
  after(() => backend.dispose());

  const activeKids = async (c: Container) =>
    (await c.db.em().find(SigningKeyEntity, { retiredAt: null }, { orderBy: { alg: 'asc' } })).map((k) => ({ alg: k.alg, kid: k.kid }));

  it('creates one active key per algorithm when replicas start at the same moment on an empty table', async () => {
    const replicas = await Promise.all([1, 2, 3].map(() => createContainer({ ...loadSettings(backend.env), LOG_LEVEL: 'silent' })));
    try {
      const created = await Promise.all(replicas.map((c) => c.keys.ensureActiveKeys()));
      const active = await activeKids(replicas[0]!);
      expect(active.map((k) => k.alg)).to.deep.equal(['ES256', 'RS256']);
      expect(created.flat().sort()).to.deep.equal(active.map((k) => k.kid).sort());
    } finally {
      await Promise.all(replicas.map((c) => c.close()));
    }
  });

  it('runs two rotations at once one after the other: the second retires the keys the first created', async () => {
    await withServices(backend.env, async (a) => {
      await withServices(backend.env, async (b) => {
        const [first, second] = await Promise.all([a.keys.rotate(), b.keys.rotate()]);
        const active = await activeKids(a);
        expect(active.map((k) => k.alg)).to.deep.equal(['ES256', 'RS256']);
        const [earlier, later] = second.retired.some((kid) => first.created.includes(kid)) ? [first, second] : [second, first];
        expect(later.retired.sort()).to.deep.equal([...earlier.created].sort());
        expect(active.map((k) => k.kid).sort()).to.deep.equal([...later.created].sort());
      });
    });
  });
});
