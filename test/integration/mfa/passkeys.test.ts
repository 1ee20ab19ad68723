import { expect } from 'chai';
import type * as oidc from 'openid-client';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createClient, createTenant, createUser, setPolicy } from '../../support/accounts.ts';
import { type Browser, findForm } from '../../support/browser.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { alertText, type Page } from '../../support/sign-in-pages.ts';
import { enrollTotpDirectly, finishFlow, noticeText, post, recoveryCodesOn, startFlow, textOf } from '../../support/two-factor.ts';
import { waitForMail } from '../../support/outbox.ts';
import { passkeyForm, unescapeAttribute } from '../../support/passkey-pages.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { PasskeyEntity } from '../../../src/store/entities/index.ts';
import { BACKENDS } from '../../support/backends.ts';

/**
 * Passkeys over HTTP, with a WebAuthn authenticator in software standing in for the browser and
 * the device: added on the account page, proven as the second factor after the password, used as
 * the whole sign-in (the page's discoverable-credential form), and asked for by the phishing-
 * resistant acr or the tenant's passkey roles. Replayed, cloned, mis-addressed and unverified
 * assertions are refused; failed passwordless assertions count toward the lockout.
 */
const PHR = 'urn:latchkey:acr:phr';
const MFA = 'urn:latchkey:acr:mfa';
const REFUSED = 'That passkey could not be used. Try again, or choose another way to sign in.';
const NOT_CREATED = 'No passkey was created. Try again.';
const ADDED = 'A two-step verification method was added';
const REMOVED = 'A two-step verification method was removed';
const FORM_HEADING = '<h1>The form could not be read</h1>';
const PASSWORD = 'a long enough passphrase for tests';

const hasPasskeyForm = (html: string) => html.includes('class="passkey-form"');

/** the error page's heading and its code */
function errorPage(page: Page): { status: number; heading: string; code: string } {
  return {
    status: page.status,
    heading: /<h1>([^<]*)<\/h1>/.exec(page.html)?.[1] ?? '',
    code: /<code>(error\.[a-zA-Z.]+)<\/code>/.exec(page.html)?.[1] ?? '',
  };
}

/** the HTML of the factor's entry in the account page's list */
function factorEntry(html: string, type: string): string {
  return (new RegExp(`data-factor="${type}">([\\s\\S]*?)</li>`).exec(html)?.[1] ?? '').replace(/\s+/g, ' ');
}

/** the page's links, decoded as a browser reads them */
function linksOn(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => unescapeAttribute(m[1]!));
}

/** the factors the second-factor page links to besides the one it shows */
function otherFactors(html: string): string[] {
  return linksOn(html)
    .map((href) => /[?&]factor=([a-z]+)/.exec(href)?.[1])
    .filter((factor): factor is string => factor !== undefined);
}

async function open(browser: Browser, path: string): Promise<Page> {
  const { res, url, html } = await browser.navigate(path);
  return { status: res.status, url, html };
}

interface AuditRow {
  action: string;
  actor: string;
  userId?: string;
  details?: Record<string, unknown>;
}

for (const kind of BACKENDS) {
  describe(`passkeys: account page, second factor, passwordless sign-in, step-up and refusals (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId = '';
    let origin = '';
    let counter = 0;
    // TOTP codes from later 30 s steps: the code that confirmed the app is refused in its own step
    const clock = movableClock();
    let ahead = 0;
    const nextCode = async (secret: string) => {
      ahead += 30_000;
      clock.travel(ahead);
      return totpCodeAt(secret, clock.now());
    };

    /** the tenant's audit rows written since `since` (for one user, or none), in any order */
    const auditSince = async (since: number, filter: { tenant?: string; userId?: string } = {}): Promise<AuditRow[]> => {
      const { events } = await f.server.container.audit.list({
        tenantId: filter.tenant ?? tenantId,
        from: new Date(since),
        limit: 100,
        ...(filter.userId ? { userId: filter.userId } : {}),
      });
      return events.map((e) => ({
        action: e.action,
        actor: e.actor,
        ...(e.userId ? { userId: e.userId } : {}),
        ...(e.details ? { details: e.details } : {}),
      }));
    };

    /** a new user of the tenant (another when named), with a passkey and/or an authenticator app made straight through the services */
    const newUser = async (options: { tenant?: string; passkey?: SoftAuthenticator; totp?: boolean; role?: string } = {}) => {
      counter += 1;
      const email = `user${counter}@example.com`;
      const user = await createUser(f, {
        email,
        password: PASSWORD,
        firstName: `User ${counter}`,
        ...(options.tenant ? { tenant: options.tenant } : {}),
        ...(options.role ? { role: options.role } : {}),
      });
      const credentials = { email, password: PASSWORD };
      let factorId = '';
      if (options.passkey) {
        const passkeys = f.server.container.passkeys;
        const key = `test:${user.id}`;
        const creation = await passkeys.registrationOptions(key, { id: user.id, email, displayName: `User ${counter}` }, 'Test');
        const registered = await passkeys.register(key, user.id, JSON.stringify(options.passkey.create(creation, origin)), 'Test key');
        if (!registered.ok) throw new Error(`the passkey was not registered: ${registered.reason}`);
        factorId = registered.factorId;
      }
      let totpSecret = '';
      if (options.totp) totpSecret = (await enrollTotpDirectly(f.server.container, options.tenant ?? f.tenant, email, clock.now())).secret;
      // the passkey is the factor asked first
      if (factorId && totpSecret) await f.server.container.factors.setPreferred(user.id, factorId);
      return { id: user.id, email, credentials, totpSecret, factorId };
    };

    /** the hosted sign-in page of a client, in a new browser */
    const signInPage = async (cfg = config, client: RegisteredTestClient = f.client, extra: Record<string, string> = {}) =>
      startFlow(cfg, client, undefined, { extra });

    before(async () => {
      ({ f, config } = await startFixture(kind, { issuerHost: 'localhost', clock }));
      origin = f.server.url;
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
      await setPolicy(f, { mfa: { mode: 'always', factors: ['passkey', 'totp'], passkeyRoles: ['admin'] }, lockout: { maxFailures: 3 } });
    });
    after(() => disposeFixture(f));

    it('adds a named passkey on the account page (after the password again), lists it, audits and emails; removing it audits too', async () => {
      const user = await newUser({ totp: true });
      const signedIn = await startFlow(config, f.client, user.credentials);
      expect(signedIn.page.html).to.include('authenticator app');
      expect(hasPasskeyForm(signedIn.page.html), 'no passkey yet: none is asked').to.equal(false);
      const done = await post(signedIn.browser, signedIn.page, '/mfa', { code: await nextCode(user.totpSecret) });
      await finishFlow(config, f.client, signedIn, done);
      const browser = signedIn.browser;

      let page = await open(browser, '/account/security');
      expect(page.html).to.include('autocomplete="current-password"');
      page = await post(browser, page, '/account/security/unlock', { password: PASSWORD });
      expect(page.status).to.equal(200);
      expect(factorEntry(page.html, 'passkey')).to.equal('');
      expect(findForm(page.html, '/factors/add').fields.type).to.equal('passkey');

      page = await post(browser, page, '/factors/add', { type: 'passkey' });
      expect(page.status).to.equal(200);
      const form = passkeyForm<PublicKeyCredentialCreationOptionsJSON>(page.html, '/account/security/factors/passkey');
      expect(form.ceremony).to.equal('create');
      expect(form.options.rp).to.deep.equal({ name: f.tenant, id: 'localhost' });
      expect(form.options.user.name).to.equal(user.email);
      expect(form.options.user.displayName).to.equal(`User ${counter}`);
      expect(Buffer.from(form.options.user.id, 'base64url').toString('hex')).to.equal(user.id.replaceAll('-', ''));
      expect(form.options.authenticatorSelection).to.deep.include({ residentKey: 'required', userVerification: 'required' });
      expect(form.options.attestation).to.equal('none');
      expect(form.options.excludeCredentials).to.deep.equal([]);
      expect(findForm(page.html, '/factors/passkey').fields.name, 'a name is proposed').to.equal('Passkey');

      const authenticator = new SoftAuthenticator();
      const answer = authenticator.create(form.options, origin);
      const since = clock.now();
      page = await post(browser, page, '/factors/passkey', { credential: JSON.stringify(answer), name: '  Work laptop  ' });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Passkey was added. We sent you an email about it.');
      expect(recoveryCodesOn(page.html), 'the first recovery codes, shown once').to.have.length(10);
      const mail = await waitForMail(f.server.url, user.email, ADDED, since);
      expect(mail.text).to.include('Passkey was added to your account');

      page = await open(browser, '/account/security');
      expect(factorEntry(page.html, 'passkey')).to.include('Passkey').and.to.include('Work laptop');
      const stored = await f.server.container.db.em().fork().findOneOrFail(PasskeyEntity, { credentialId: answer.id });
      expect(stored.signCount).to.equal(0);
      expect(stored.backupEligible).to.equal(false);
      const factorId = /data-factor="passkey">[\s\S]*?name="factor" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
      expect(factorId).to.match(/^[0-9a-f-]{36}$/);

      // adding another: the one made is excluded, so the same authenticator cannot make it twice
      const again = await post(browser, page, '/factors/add', { type: 'passkey' });
      expect(passkeyForm<PublicKeyCredentialCreationOptionsJSON>(again.html, '/factors/passkey').options.excludeCredentials).to.deep.equal([
        { id: answer.id, type: 'public-key', transports: ['internal'] },
      ]);
      page = await post(browser, again, '/factors/cancel');

      const removedSince = clock.now();
      page = await post(browser, page, '/factors/remove', { factor: factorId });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Passkey was removed. We sent you an email about it.');
      expect(factorEntry(page.html, 'passkey')).to.equal('');
      await waitForMail(f.server.url, user.email, REMOVED, removedSince);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'factor.added', actor: `user:${user.id}`, userId: user.id, details: { type: 'passkey', via: 'account-security' } },
        { action: 'recovery_codes.generated', actor: `user:${user.id}`, userId: user.id, details: { first: true, via: 'account-security' } },
        { action: 'factor.removed', actor: `user:${user.id}`, userId: user.id, details: { type: 'passkey', last: false, via: 'account-security' } },
      ]);
      expect(await f.server.container.db.em().fork().count(PasskeyEntity, { credentialId: answer.id }), 'the credential went with its factor').to.equal(0);
    });

    it('asks for the passkey after the password in a tenant that always requires a second factor; the ID token says phr, hwk', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator, totp: true });
      const since = clock.now();
      const flow = await startFlow(config, f.client, user.credentials);
      expect(flow.page.status).to.equal(200);
      expect(flow.page.html).to.include('Use one of your passkeys: your device will ask for your fingerprint, face or screen lock.');
      expect(otherFactors(flow.page.html), 'the other factor is one link away').to.deep.equal(['totp', 'recovery']);
      const form = passkeyForm(flow.page.html, '/mfa/passkey');
      expect(form.ceremony).to.equal('get');
      expect(form.autofill).to.equal(false);
      expect(form.options.rpId).to.equal('localhost');
      expect(form.options.userVerification).to.equal('required');
      expect(form.options.allowCredentials).to.deep.equal([
        { id: authenticator.credentials[0]!.id.toString('base64url'), type: 'public-key', transports: ['internal'] },
      ]);

      const page = await post(flow.browser, flow.page, '/mfa/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin)) });
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.acr).to.equal(PHR);
      expect(claims.amr).to.deep.equal(['pwd', 'hwk', 'user', 'mfa']);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.succeeded', actor: `user:${user.id}`, userId: user.id },
        { action: 'mfa.succeeded', actor: `user:${user.id}`, userId: user.id, details: { method: 'passkey' } },
        { action: 'signin.new_device', actor: `user:${user.id}`, userId: user.id },
      ]);
      const stored = await f.server.container.db.em().fork().findOneOrFail(PasskeyEntity, { factor: user.factorId });
      expect(stored.signCount).to.equal(1);
    });

    it('says swk for a synced passkey, whose counter stays 0 use after use', async () => {
      const authenticator = new SoftAuthenticator({ synced: true });
      const user = await newUser({ passkey: authenticator });
      for (let i = 0; i < 2; i += 1) {
        const flow = await startFlow(config, f.client, user.credentials);
        const form = passkeyForm(flow.page.html, '/mfa/passkey');
        const page = await post(flow.browser, flow.page, '/mfa/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin)) });
        const { claims } = await finishFlow(config, f.client, flow, page);
        expect(claims.acr).to.equal(PHR);
        expect(claims.amr).to.deep.equal(['pwd', 'swk', 'user', 'mfa']);
      }
      const stored = await f.server.container.db.em().fork().findOneOrFail(PasskeyEntity, { factor: user.factorId });
      expect(stored.signCount).to.equal(0);
      expect(stored.backupEligible).to.equal(true);
      expect(stored.backedUp).to.equal(true);
    });

    it('offers a passkey as the whole sign-in: a discoverable-credential form, the email field autofills passkeys; the ID token says phr', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      const flow = await signInPage();
      expect(flow.page.status).to.equal(200);
      expect(flow.page.html).to.include('autocomplete="username webauthn"');
      const form = passkeyForm(flow.page.html, '/passkey');
      expect(form.action).to.match(/^\/interaction\/[^/]+\/passkey$/);
      expect(form.ceremony).to.equal('get');
      expect(form.autofill).to.equal(true);
      expect(form.options.allowCredentials).to.deep.equal([]);
      expect(form.options.userVerification).to.equal('required');
      expect(form.options.rpId).to.equal('localhost');

      const since = clock.now();
      const page = await post(flow.browser, flow.page, '/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin)) });
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.sub).to.equal(user.id);
      expect(claims.acr).to.equal(PHR);
      expect(claims.amr).to.deep.equal(['hwk', 'user', 'mfa']);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.succeeded', actor: `user:${user.id}`, userId: user.id, details: { method: 'passkey' } },
        { action: 'signin.new_device', actor: `user:${user.id}`, userId: user.id },
      ]);
    });

    it('refuses a replayed passwordless assertion, in the same sign-in and in another', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      const flow = await signInPage();
      const form = passkeyForm(flow.page.html, '/passkey');
      const answer = JSON.stringify(authenticator.get(form.options, origin));
      const csrf = findForm(flow.page.html, '/passkey').fields.csrf!;
      const page = await post(flow.browser, flow.page, '/passkey', { credential: answer });
      await finishFlow(config, f.client, flow, page);

      const since = clock.now();
      const same = await flow.browser.navigate(form.action, { form: { csrf, credential: answer } });
      expect(same.res.status).to.equal(400);
      expect(errorPage({ status: same.res.status, url: same.url, html: same.html })).to.deep.equal({
        status: 400,
        heading: 'This sign-in page has expired',
        code: 'error.session',
      });

      const other = await signInPage();
      const replayed = await post(other.browser, other.page, '/passkey', { credential: answer });
      expect(replayed.status).to.equal(401);
      expect(alertText(replayed.html)).to.equal(REFUSED);
      expect(hasPasskeyForm(replayed.html), 'a fresh challenge to try again').to.equal(true);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 1, budget: 'account', method: 'passkey' } },
      ]);
    });

    it('refuses a passwordless assertion whose counter went back, and audits the possible clone', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      for (let i = 0; i < 2; i += 1) {
        const flow = await signInPage();
        const form = passkeyForm(flow.page.html, '/passkey');
        await finishFlow(
          config,
          f.client,
          flow,
          await post(flow.browser, flow.page, '/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin)) }),
        );
      }
      const since = clock.now();
      const flow = await signInPage();
      const form = passkeyForm(flow.page.html, '/passkey');
      const page = await post(flow.browser, flow.page, '/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin, { counter: 1 })) });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 1, budget: 'account', method: 'passkey' } },
        { action: 'passkey.clone_warning', actor: `user:${user.id}`, userId: user.id, details: { factorId: user.factorId } },
      ]);
      const stored = await f.server.container.db.em().fork().findOneOrFail(PasskeyEntity, { factor: user.factorId });
      expect(stored.signCount, 'the counter stays where the genuine key left it').to.equal(2);
    });

    for (const [what, overrides, useOrigin] of [
      ['another origin', {}, 'http://localhost.evil.test'],
      ['no user verification', { userVerified: false }, undefined],
      ["another relying party's id", { rpId: 'evil.test' }, undefined],
    ] as const) {
      it(`refuses a passwordless assertion with ${what}`, async () => {
        const authenticator = new SoftAuthenticator();
        const user = await newUser({ passkey: authenticator });
        const since = clock.now();
        const flow = await signInPage();
        const form = passkeyForm(flow.page.html, '/passkey');
        const answer = authenticator.get(form.options, useOrigin ?? origin, overrides);
        const page = await post(flow.browser, flow.page, '/passkey', { credential: JSON.stringify(answer) });
        expect(page.status).to.equal(401);
        expect(alertText(page.html)).to.equal(REFUSED);
        expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
          { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 1, budget: 'account', method: 'passkey' } },
        ]);
        // the genuine answer to the page's fresh options still works
        const retry = passkeyForm(page.html, '/passkey');
        const done = await post(flow.browser, page, '/passkey', { credential: JSON.stringify(authenticator.get(retry.options, origin)) });
        expect((await finishFlow(config, f.client, flow, done)).claims.amr).to.deep.equal(['hwk', 'user', 'mfa']);
      });
    }

    it('refuses at the second-factor step a replayed assertion, a cloned counter, another origin and no user verification, each counted', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      const first = await startFlow(config, f.client, user.credentials);
      const used = JSON.stringify(authenticator.get(passkeyForm(first.page.html, '/mfa/passkey').options, origin));
      await finishFlow(config, f.client, first, await post(first.browser, first.page, '/mfa/passkey', { credential: used }));

      const since = clock.now();
      const flow = await startFlow(config, f.client, user.credentials);
      let page = await post(flow.browser, flow.page, '/mfa/passkey', { credential: used });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      page = await post(flow.browser, page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/mfa/passkey').options, origin, { counter: 1 })),
      });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      page = await post(flow.browser, page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/mfa/passkey').options, 'http://localhost.evil.test')),
      });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      page = await post(flow.browser, page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/mfa/passkey').options, origin, { userVerified: false })),
      });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      page = await post(flow.browser, page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/mfa/passkey').options, origin)),
      });
      expect((await finishFlow(config, f.client, flow, page)).claims.acr).to.equal(PHR);

      const failed = { action: 'mfa.failed', actor: `user:${user.id}`, userId: user.id, details: { factor: 'passkey' } };
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.succeeded', actor: `user:${user.id}`, userId: user.id },
        failed,
        failed,
        { action: 'passkey.clone_warning', actor: `user:${user.id}`, userId: user.id, details: { purpose: 'signin' } },
        failed,
        failed,
        { action: 'mfa.succeeded', actor: `user:${user.id}`, userId: user.id, details: { method: 'passkey' } },
        { action: 'signin.new_device', actor: `user:${user.id}`, userId: user.id },
      ]);
    });

    it("refuses at the second-factor step another user's passkey, even one the options did not name", async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      const otherKey = new SoftAuthenticator();
      await newUser({ passkey: otherKey });
      const since = clock.now();
      const flow = await startFlow(config, f.client, user.credentials);
      const form = passkeyForm(flow.page.html, '/mfa/passkey');
      // an honest authenticator would not answer options that name none of its credentials: this one is made to
      const forged = otherKey.get({ ...form.options, allowCredentials: [] }, origin);
      let page = await post(flow.browser, flow.page, '/mfa/passkey', { credential: JSON.stringify(forged) });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      page = await post(flow.browser, page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/mfa/passkey').options, origin)),
      });
      expect((await finishFlow(config, f.client, flow, page)).claims.sub).to.equal(user.id);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.succeeded', actor: `user:${user.id}`, userId: user.id },
        { action: 'mfa.failed', actor: `user:${user.id}`, userId: user.id, details: { factor: 'passkey' } },
        { action: 'mfa.succeeded', actor: `user:${user.id}`, userId: user.id, details: { method: 'passkey' } },
        { action: 'signin.new_device', actor: `user:${user.id}`, userId: user.id },
      ]);
    });

    it('counts failed passwordless assertions toward the lockout: the account locks, then even a good passkey gets the generic refusal', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator });
      const since = clock.now();
      const flow = await signInPage();
      let page = flow.page;
      for (let i = 0; i < 3; i += 1) {
        const form = passkeyForm(page.html, '/passkey');
        page = await post(flow.browser, page, '/passkey', { credential: JSON.stringify(authenticator.get(form.options, origin, { userVerified: false })) });
        expect(page.status).to.equal(401);
        expect(alertText(page.html)).to.equal(REFUSED);
      }
      page = await post(flow.browser, page, '/passkey', { credential: JSON.stringify(authenticator.get(passkeyForm(page.html, '/passkey').options, origin)) });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      const password = await post(flow.browser, page, '/login', user.credentials);
      expect(password.status).to.equal(401);
      expect(alertText(password.html)).to.equal('The email address or password is not correct.');

      const rows = await auditSince(since, { tenant: tenantId });
      const locked = rows.find((r) => r.action === 'user.locked');
      expect(locked?.details?.until).to.be.a('string');
      expect(rows).to.have.deep.members([
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 1, budget: 'account', method: 'passkey' } },
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 2, budget: 'account', method: 'passkey' } },
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 3, budget: 'account', method: 'passkey' } },
        { action: 'user.locked', actor: 'system', userId: user.id, details: { until: locked?.details?.until, budget: 'account' } },
        { action: 'signin.refused_locked', actor: 'anonymous', userId: user.id, details: { budget: 'account' } },
        { action: 'signin.refused_locked', actor: 'anonymous', userId: user.id, details: { budget: 'account' } },
      ]);
      const mail = await waitForMail(f.server.url, user.email, 'Your account was locked', since);
      expect(mail.text).to.include('Your account was locked for 10 minutes');
    });

    it("refuses a passkey of another tenant's user at this tenant's application with the generic message, audited here", async () => {
      await createTenant(f, { name: `${f.tenant}-other` });
      await setPolicy(f, { mfa: { factors: ['passkey', 'totp'] } }, `${f.tenant}-other`);
      const otherTenantId = (await f.server.container.tenants.getByName(`${f.tenant}-other`)).id;
      const authenticator = new SoftAuthenticator();
      const stranger = await newUser({ tenant: `${f.tenant}-other`, passkey: authenticator });

      const since = clock.now();
      const flow = await signInPage();
      const page = await post(flow.browser, flow.page, '/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(flow.page.html, '/passkey').options, origin)),
      });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSED);
      expect(await auditSince(since, { tenant: tenantId })).to.deep.equal([
        { action: 'signin.failed', actor: 'anonymous', details: { method: 'passkey', reason: 'unknown-passkey' } },
      ]);
      expect(await auditSince(since, { tenant: otherTenantId }), "nothing at the user's own tenant").to.deep.equal([]);

      // the same passkey signs in at its own tenant's application
      const own = await createClient(f, {
        tenant: `${f.tenant}-other`,
        name: 'Other app',
        redirectUris: [f.client.redirectUri],
        grants: ['authorization_code'],
      });
      const client = { clientId: own.clientId, clientSecret: String(own.clientSecret), redirectUri: f.client.redirectUri };
      const otherConfig = await discover(f.server.url, client);
      const home = await signInPage(otherConfig, client);
      const done = await post(home.browser, home.page, '/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(home.page.html, '/passkey').options, origin)),
      });
      const { claims } = await finishFlow(otherConfig, client, home, done);
      expect(claims.sub).to.equal(stranger.id);
      expect(claims.acr).to.equal(PHR);
    });

    it('has a user with only an authenticator app prove it, then set up a passkey when the application asks for phr, and then says phr', async () => {
      const user = await newUser({ totp: true });
      const since = clock.now();
      const flow = await startFlow(config, f.client, user.credentials, { extra: { acr_values: PHR } });
      expect(flow.page.status).to.equal(200);
      // the password alone never adds a factor to an account that has one: the app's code first
      expect(flow.page.html).not.to.include('Set up two-step verification');
      const proven = await post(flow.browser, flow.page, '/mfa', { code: await nextCode(user.totpSecret) });
      expect(proven.status).to.equal(200);
      expect(proven.html).to.include('Set up two-step verification');
      expect(findForm(proven.html, '/enroll/start').fields.type).to.equal('passkey');
      expect(proven.html, 'only a passkey will do').not.to.include('value="totp"');

      let page = await post(flow.browser, proven, '/enroll/start', { type: 'passkey' });
      expect(page.status).to.equal(200);
      const form = passkeyForm<PublicKeyCredentialCreationOptionsJSON>(page.html, '/enroll/passkey');
      expect(form.ceremony).to.equal('create');
      expect(form.options.rp.id).to.equal('localhost');
      const authenticator = new SoftAuthenticator();
      page = await post(flow.browser, page, '/enroll/passkey', { credential: JSON.stringify(authenticator.create(form.options, origin)), name: 'Phone' });
      expect(recoveryCodesOn(page.html), 'the first recovery codes').to.have.length(10);
      page = await post(flow.browser, page, '/continue');
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.acr).to.equal(PHR);
      expect(claims.amr).to.deep.equal(['pwd', 'hwk', 'otp', 'user', 'mfa']);
      expect(await auditSince(since, { userId: user.id })).to.have.deep.members([
        { action: 'signin.succeeded', actor: `user:${user.id}`, userId: user.id },
        { action: 'mfa.succeeded', actor: `user:${user.id}`, userId: user.id, details: { method: 'totp' } },
        { action: 'factor.added', actor: `user:${user.id}`, userId: user.id, details: { type: 'passkey', during: 'sign-in' } },
        { action: 'recovery_codes.generated', actor: `user:${user.id}`, userId: user.id },
        { action: 'signin.new_device', actor: `user:${user.id}`, userId: user.id },
      ]);
      const factors = await f.server.container.factors.list(user.id);
      expect(factors.filter((x) => x.type === 'passkey').map((x) => x.label)).to.deep.equal(['Phone']);

      // the next phr request: the passkey, not the authenticator app
      const next = await startFlow(config, f.client, user.credentials, { extra: { acr_values: PHR } });
      expect(otherFactors(next.page.html)).to.deep.equal(['recovery']);
      const proof = await post(next.browser, next.page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(next.page.html, '/mfa/passkey').options, origin)),
      });
      expect((await finishFlow(config, f.client, next, proof)).claims.acr).to.equal(PHR);
    });

    it('lets a user setting up a passkey at sign-in choose another allowed type instead (a browser without passkeys)', async () => {
      const user = await newUser();
      const flow = await startFlow(config, f.client, user.credentials);
      expect(flow.page.html).to.include('Set up two-step verification');
      const passkeyPage = await post(flow.browser, flow.page, '/enroll/start', { type: 'passkey' });
      expect(passkeyPage.status).to.equal(200);
      expect(passkeyForm<PublicKeyCredentialCreationOptionsJSON>(passkeyPage.html, '/enroll/passkey').ceremony).to.equal('create');
      const other = findForm(passkeyPage.html, '/enroll/start');
      expect(other.fields.type).to.equal('totp');
      const totpPage = await post(flow.browser, passkeyPage, '/enroll/start', { type: 'totp' });
      expect(totpPage.status).to.equal(200);
      expect(totpPage.html).to.include('Scan this QR code with an authenticator app');
    });

    it('answers a phr request at the mfa level in a tenant that does not allow passkeys (no passkey form either)', async () => {
      const plain = `${f.tenant}-plain`;
      await createTenant(f, { name: plain });
      await setPolicy(f, { mfa: { mode: 'optional' } }, plain);
      const user = await newUser({ tenant: plain, totp: true });
      const own = await createClient(f, { tenant: plain, name: 'Plain app', redirectUris: [f.client.redirectUri], grants: ['authorization_code'] });
      const client = { clientId: own.clientId, clientSecret: String(own.clientSecret), redirectUri: f.client.redirectUri };
      const plainConfig = await discover(f.server.url, client);

      const page = await signInPage(plainConfig, client);
      expect(hasPasskeyForm(page.page.html)).to.equal(false);
      expect(page.page.html).to.include('autocomplete="username"').and.not.to.include('webauthn');

      const flow = await startFlow(plainConfig, client, user.credentials, { extra: { acr_values: PHR } });
      expect(flow.page.html).to.include('Enter the 6-digit code from your authenticator app.');
      expect(hasPasskeyForm(flow.page.html)).to.equal(false);
      const done = await post(flow.browser, flow.page, '/mfa', { code: await nextCode(user.totpSecret) });
      const { claims } = await finishFlow(plainConfig, client, flow, done);
      expect(claims.acr).to.equal(MFA);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it("refuses a passkey sign-in from outside a strict tenant's network, like a password: the passkey does not bypass the IP policy", async () => {
      const office = `${f.tenant}-office`;
      await createTenant(f, { name: office });
      // this test's client is 127.0.0.1 / ::1: outside the office range
      await setPolicy(f, { mfa: { mode: 'optional', factors: ['passkey', 'totp'] }, network: { allowlist: ['203.0.113.0/24'], strict: true } }, office);
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ tenant: office, passkey: authenticator });
      const own = await createClient(f, { tenant: office, name: 'Office app', redirectUris: [f.client.redirectUri], grants: ['authorization_code'] });
      const client = { clientId: own.clientId, clientSecret: String(own.clientSecret), redirectUri: f.client.redirectUri };
      const flow = await signInPage(await discover(f.server.url, client), client);
      const since = clock.now();
      const page = await post(flow.browser, flow.page, '/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(flow.page.html, '/passkey').options, origin)),
      });
      expect(errorPage(page)).to.deep.equal({ status: 403, heading: 'Sign-in is not allowed from this network', code: 'error.network' });
      const officeId = (await f.server.container.tenants.getByName(office)).id;
      const denied = (await auditSince(since, { tenant: officeId, userId: user.id })).filter((row) => row.action === 'signin.denied_network');
      expect(denied).to.have.length(1);
    });

    it("challenges an admin (a role the tenant holds to passkeys) for a passkey only, a member for any of the user's factors", async () => {
      const authenticator = new SoftAuthenticator();
      const admin = await newUser({ passkey: authenticator, totp: true, role: 'admin' });
      const flow = await startFlow(config, f.client, admin.credentials);
      expect(flow.page.html).to.include('Use one of your passkeys');
      expect(otherFactors(flow.page.html), 'no authenticator app on offer, a recovery code one link away').to.deep.equal(['recovery']);
      const done = await post(flow.browser, flow.page, '/mfa/passkey', {
        credential: JSON.stringify(authenticator.get(passkeyForm(flow.page.html, '/mfa/passkey').options, origin)),
      });
      const { claims } = await finishFlow(config, f.client, flow, done);
      expect(claims.acr).to.equal(PHR);
      expect(claims.amr).to.deep.equal(['pwd', 'hwk', 'user', 'mfa']);

      // an admin without a passkey proves the app they have, then sets a passkey up
      const adminWithApp = await newUser({ totp: true, role: 'admin' });
      const enrol = await startFlow(config, f.client, adminWithApp.credentials);
      expect(enrol.page.html).not.to.include('Set up two-step verification');
      const proven = await post(enrol.browser, enrol.page, '/mfa', { code: await nextCode(adminWithApp.totpSecret) });
      expect(proven.html).to.include('Set up two-step verification');
      expect(findForm(proven.html, '/enroll/start').fields.type).to.equal('passkey');
      expect(proven.html).not.to.include('value="totp"');

      const member = await newUser({ passkey: new SoftAuthenticator(), totp: true });
      const memberFlow = await startFlow(config, f.client, member.credentials);
      expect(otherFactors(memberFlow.page.html)).to.deep.equal(['totp', 'recovery']);
    });

    it('answers a malformed credential with 400 or the refusal, never a 5xx', async () => {
      const authenticator = new SoftAuthenticator();
      const user = await newUser({ passkey: authenticator, totp: true });
      const long = 'x'.repeat(16_385);

      // the sign-in page's passkey form
      const flow = await signInPage();
      const tooLong = await post(flow.browser, flow.page, '/passkey', { credential: long });
      expect(errorPage(tooLong)).to.deep.equal({ status: 400, heading: 'The form could not be read', code: 'error.form' });
      expect(tooLong.html).to.include(FORM_HEADING);
      const since = clock.now();
      for (const credential of ['not json', '[]', 'null', '{"id":5}', '{"id":"\\u0000"}', `{"id":"${'A'.repeat(10_000)}"}`, '']) {
        const page = await post(flow.browser, flow.page, '/passkey', { credential });
        expect(page.status, credential.slice(0, 40)).to.equal(401);
        expect(alertText(page.html)).to.equal(REFUSED);
      }
      const known = JSON.stringify({ id: authenticator.credentials[0]!.id.toString('base64url'), rawId: 'x', response: { clientDataJSON: 5 } });
      const knownPage = await post(flow.browser, flow.page, '/passkey', { credential: known });
      expect(knownPage.status).to.equal(401);
      expect(alertText(knownPage.html)).to.equal(REFUSED);
      const unknown = { action: 'signin.failed', actor: 'anonymous', details: { method: 'passkey', reason: 'unknown-passkey' } };
      expect(await auditSince(since, { tenant: tenantId })).to.have.deep.members([
        unknown,
        unknown,
        unknown,
        unknown,
        unknown,
        unknown,
        { action: 'signin.failed', actor: 'anonymous', userId: user.id, details: { attempt: 1, budget: 'account', method: 'passkey' } },
      ]);

      // the second-factor step
      const second = await startFlow(config, f.client, user.credentials);
      const secondLong = await post(second.browser, second.page, '/mfa/passkey', { credential: long });
      expect(errorPage(secondLong)).to.deep.equal({ status: 400, heading: 'The form could not be read', code: 'error.form' });
      const notJson = await post(second.browser, second.page, '/mfa/passkey', { credential: 'not json' });
      expect(notJson.status).to.equal(401);
      expect(alertText(notJson.html)).to.equal(REFUSED);

      // the account page's new passkey
      const code = await nextCode(user.totpSecret);
      const uid = /\/interaction\/([^/?]+)/.exec(notJson.url)?.[1];
      const app = await post(second.browser, await open(second.browser, `/interaction/${uid}?factor=totp`), '/mfa', { code });
      await finishFlow(config, f.client, second, app);
      let account = await open(second.browser, '/account/security');
      account = await post(second.browser, account, '/account/security/unlock', { password: PASSWORD });
      account = await post(second.browser, account, '/factors/add', { type: 'passkey' });
      const accountLong = await post(second.browser, account, '/factors/passkey', { credential: long, name: 'Key' });
      expect(errorPage(accountLong)).to.deep.equal({ status: 400, heading: 'The form could not be read', code: 'error.form' });
      const accountBad = await post(second.browser, account, '/factors/passkey', { credential: '{"id":"\\u0000"}', name: 'Key' });
      expect(accountBad.status).to.equal(400);
      expect(alertText(accountBad.html)).to.equal(NOT_CREATED);
      expect(textOf(accountBad.html, 'form-error')).to.equal(NOT_CREATED);
      // transports the browser made up are not kept (nor echoed to later ceremonies)
      const laptop = new SoftAuthenticator();
      const odd = laptop.create(passkeyForm<PublicKeyCredentialCreationOptionsJSON>(accountBad.html, '/factors/passkey').options, origin);
      odd.response.transports = ['usb', 'usb\u0000', 'x'.repeat(5000)] as never;
      const oddPage = await post(second.browser, accountBad, '/factors/passkey', { credential: JSON.stringify(odd), name: 'Key' });
      expect(oddPage.status).to.equal(200);
      expect(noticeText(oddPage.html)).to.equal('Passkey was added. We sent you an email about it.');
      const stored = await f.server.container.db.em().fork().findOneOrFail(PasskeyEntity, { credentialId: odd.id });
      expect(stored.transports).to.deep.equal(['usb']);
      // a name with a control character
      account = await post(second.browser, await open(second.browser, '/account/security'), '/factors/add', { type: 'passkey' });
      const named = new SoftAuthenticator().create(passkeyForm<PublicKeyCredentialCreationOptionsJSON>(account.html, '/factors/passkey').options, origin);
      const namedPage = await post(second.browser, account, '/factors/passkey', { credential: JSON.stringify(named), name: 'Key\u0000two' });
      expect(namedPage.status).to.equal(200);
      const labels = (await f.server.container.factors.list(user.id)).filter((x) => x.type === 'passkey').map((x) => x.label);
      expect(labels).to.deep.equal(['Test key', 'Key', 'Key two']);
    });
  });
}
