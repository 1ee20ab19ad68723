import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { createClient, createTenant, createUser, setPolicy, unlockUser } from '../../support/accounts.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { finishFlow, startFlow } from '../../support/two-factor.ts';
import { alertText, openSignIn, submit, type Page } from '../../support/sign-in-pages.ts';
import { waitForMail } from '../../support/outbox.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';

const FAILED = 'The email address or password is not correct.';
const PASSWORD = 'correct horse battery staple 42';
const OTHER_PASSWORD = 'another quite long passphrase 77';
const WRONG = 'definitely not the password';

interface Person {
  email: string;
  password: string;
  id: string;
}

for (const kind of BACKENDS) {
  describe(`sign-in through a reseller's application (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let childConfig: oidc.Configuration;
    let childClient: RegisteredTestClient;
    const suffix = randomBytes(3).toString('hex');
    const c1 = `child-one-${suffix}`;
    const c2 = `child-two-${suffix}`;
    const other = `unrelated-${suffix}`;
    let ids: Record<string, string>;
    let bob: Person, carol: Person, dupInOne: Person, aliceInChild: Person, rita: Person, dave: Person;

    const person = async (tenant: string, email: string, password = PASSWORD): Promise<Person> => {
      const user = await createUser(f, { tenant, email, password });
      return { email, password, id: user.id };
    };

    before(async () => {
      ({ f, config } = await startFixture(kind));
      const reseller = await f.server.container.tenants.getByName(f.tenant);
      const one = await createTenant(f, { name: c1, displayName: 'Child One Corp', parent: f.tenant });
      const two = await createTenant(f, { name: c2, displayName: 'Child Two Corp', parent: f.tenant });
      await createTenant(f, { name: other, displayName: 'Unrelated Corp' });
      ids = { reseller: reseller.id, c1: one.id, c2: two.id };
      bob = await person(c1, 'bob@example.com');
      carol = await person(c2, 'carol@example.com');
      dupInOne = await person(c1, 'dup@example.com');
      await person(c2, 'dup@example.com');
      aliceInChild = await person(c1, f.user.email, OTHER_PASSWORD);
      rita = await person(f.tenant, 'rita@example.com');
      dave = await person(other, 'dave@example.com');
      const created = await createClient(f, { tenant: c1, name: 'Child app', redirectUris: ['http://127.0.0.1:9/child-callback'] });
      childClient = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/child-callback' };
      childConfig = await discover(f.server.url, childClient);
    });
    after(() => disposeFixture(f));

    const signsInAs = async (cfg: oidc.Configuration, client: RegisteredTestClient, who: { email: string; password: string }) => {
      const flow = await startFlow(cfg, client, who);
      return (await finishFlow(cfg, client, flow)).claims;
    };
    const refused = async (cfg: oidc.Configuration, client: RegisteredTestClient, who: { email: string; password: string }): Promise<Page> => {
      const { page } = await startFlow(cfg, client, who);
      expect(page.status, page.html.slice(0, 300)).to.equal(401);
      expect(alertText(page.html)).to.equal(FAILED);
      return page;
    };
    const events = (where: Record<string, unknown>) => f.server.container.db.em().find(AuditEventEntity, where);

    it("admits a child tenant's user as that user, audited in the child tenant", async () => {
      const claims = await signsInAs(config, f.client, bob);
      expect(claims.sub).to.equal(bob.id);
      expect(await events({ action: 'signin.succeeded', userId: bob.id, tenantId: ids.c1 })).to.have.length(1);
    });

    it("admits the reseller's own users; its own user wins over a child's with the same email", async () => {
      const alice = await f.server.container.users.findByEmail(ids.reseller!, f.user.email);
      expect((await signsInAs(config, f.client, f.user)).sub).to.equal(alice!.id);
      expect((await signsInAs(config, f.client, rita)).sub).to.equal(rita.id);
      await refused(config, f.client, aliceInChild);
    });

    it('refuses an email found in two child tenants with the generic failure, even with the right password', async () => {
      const ambiguous = await refused(config, f.client, dupInOne);
      const unknown = await refused(config, f.client, { email: 'nobody@example.com', password: PASSWORD });
      const strip = (p: Page) => p.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"]+/g, '');
      expect(strip(ambiguous)).to.equal(strip(unknown));
      expect(await events({ action: 'signin.succeeded', tenantId: { $in: [ids.c1, ids.c2] }, userId: { $ne: bob.id } })).to.have.length(0);
    });

    it('refuses users of a tenant that is not one of its children', async () => {
      await refused(config, f.client, dave);
    });

    it("a child's own application admits only the child's users, never the reseller's or a sibling's", async () => {
      expect((await signsInAs(childConfig, childClient, bob)).sub).to.equal(bob.id);
      await refused(childConfig, childClient, rita);
      await refused(childConfig, childClient, carol);
      expect((await signsInAs(childConfig, childClient, aliceInChild)).sub).to.equal(aliceInChild.id);
    });

    it("names only the application's tenant before the password is checked, and a child user's failure looks like an unknown email", async () => {
      const childUser = await refused(config, f.client, { email: carol.email, password: WRONG });
      const unknown = await refused(config, f.client, { email: 'ghost@example.com', password: WRONG });
      expect(childUser.html).to.include(f.tenant).and.not.include('Child Two Corp');
      const strip = (p: Page) => p.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"]+/g, '');
      expect(strip(childUser)).to.equal(strip(unknown));
    });

    it("applies the user's own tenant's lockout: counted and locked in the child tenant", async () => {
      await setPolicy(f, { lockout: { maxFailures: 2 } }, c1);
      for (let i = 0; i < 2; i += 1) await refused(config, f.client, { email: bob.email, password: WRONG });
      await refused(config, f.client, bob);
      await refused(childConfig, childClient, bob);
      expect(await events({ action: 'user.locked', userId: bob.id, tenantId: ids.c1 })).to.have.length(1);
      // the reseller's own limit (5) still holds for its own users
      for (let i = 0; i < 2; i += 1) await refused(config, f.client, { email: rita.email, password: WRONG });
      expect((await signsInAs(config, f.client, rita)).sub).to.equal(rita.id);
      await unlockUser(f, bob.email, c1);
      expect((await signsInAs(config, f.client, bob)).sub).to.equal(bob.id);
    });

    it("applies the user's own tenant's second-factor policy", async () => {
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp', 'email'] } }, c2);
      const { page } = await startFlow(config, f.client, carol);
      expect(page.status).to.equal(200);
      expect(page.html).to.include('/enroll/start');
      expect(page.html).to.include('Child Two Corp');
      // the reseller's optional policy still lets its own user straight through
      expect((await signsInAs(config, f.client, rita)).sub).to.equal(rita.id);
    });

    it("sends a child user's password reset from the reseller's sign-in page", async () => {
      const since = Date.now() - 1000;
      const { browser, page } = await openSignIn(config, f.client);
      const forgotHref = /href="([^"]*\/forgot)"/.exec(page.html)![1]!;
      const forgot = await browser.navigate(forgotHref);
      await submit(browser, { status: 200, url: forgot.url, html: forgot.html }, '/forgot', { email: bob.email });
      expect((await waitForMail(f.server.url, bob.email, 'Reset your password', since)).text).to.include('/password/reset/');
      expect(await events({ action: 'password.reset_requested', userId: bob.id, tenantId: ids.c1 })).to.have.length(1);
    });
  });
}
