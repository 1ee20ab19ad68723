import { expect } from 'chai';
import { movableClock, type Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { enrollTotpDirectly } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { PHR_ACR } from '../../../src/policy/authentication-context.ts';
import { authorizationRequest, fillSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'passkeys';

/** reports every navigator.credentials.get of the page by its mediation ('modal' when none is given) */
const RECORD_GETS = `(() => {
  if (!window.PublicKeyCredential) return;
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    window.__credentialsGet((options && options.mediation) || 'modal');
    return get(options);
  };
})();`;
/** a browser with WebAuthn but without passkeys in the autofill (conditional mediation) */
const NO_AUTOFILL = `if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);`;
/** a browser without WebAuthn */
const NO_WEBAUTHN = 'delete window.PublicKeyCredential;';

/**
 * A virtual platform authenticator in the page's browser tab (the Chrome DevTools Protocol's
 * WebAuthn domain): it keeps discoverable credentials and verifies the user.
 */
async function addAuthenticator(w: WatchedContext) {
  const cdp = await w.context.newCDPSession(w.page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    id: authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    /** whether the authenticator answers by itself (the user touching it, verified by fingerprint) */
    presence: async (enabled: boolean) => {
      await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
    },
  };
}

type Authenticator = Awaited<ReturnType<typeof addAuthenticator>>;

/** resolves once `check` holds (polled), fails after `ms` */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** a browser (its own cookies) with these init scripts; `gets` lists the credentials.get calls RECORD_GETS saw */
async function browserContext(world: BrowserWorld, scripts: string[]): Promise<WatchedContext & { gets: string[] }> {
  const w = await watchedContext(world.browser);
  const gets: string[] = [];
  await w.context.exposeBinding('__credentialsGet', (_source, mediation: string) => {
    gets.push(mediation);
  });
  for (const content of scripts) await w.context.addInitScript({ content });
  return { ...w, gets };
}

/**
 * Passkeys in real Chromium, with the DevTools Protocol's virtual authenticator standing in for
 * the device: created in the account console, used as the second factor, as the whole sign-in
 * (the button, and the email field's autofill), removed, set up when an application asks for
 * the phishing-resistant level; and a browser without WebAuthn never sees a passkey form.
 * The issuer is http://localhost (a passkey's relying party is a host name, and localhost is a
 * secure context); every hosted page met passes axe-core, the CSP check and the 360 px width.
 */
describe('browser: passkeys', function () {
  this.timeout(120_000);
  let world: BrowserWorld;
  let f: Fixture;
  const clock = movableClock();
  const secrets = new Map<string, string>();
  let steps = 0;
  const dave = { email: 'dave@example.com', password: 'saffron tugboat reverie ninety' };
  /**
   * alice's browser: WebAuthn without passkeys in the autofill. Chromium's virtual authenticator
   * answers an autofill (conditional) request at once, so with the autofill its sign-in page
   * would sign in by passkey before a password could be typed.
   */
  let laptop: Awaited<ReturnType<typeof browserContext>>;
  let laptopKey: Authenticator;
  let tenantId = '';
  const userId = async (email: string) => (await f.server.container.users.findByEmail(tenantId, email))!.id;

  /** a TOTP code of the user's app, each in a fresh 30 s step (a code is taken once) */
  async function totpCode(email: string) {
    steps += 1;
    clock.travel(steps * 30_000);
    return totpCodeAt(secrets.get(email)!, clock.now());
  }

  before(async () => {
    world = await startBrowserWorld({ clock, issuerHost: 'localhost' });
    ({ f } = world);
    expect(new URL(f.server.url).hostname).to.equal('localhost');
    const { tenants, users } = f.server.container;
    const tenant = await tenants.getByName(f.tenant);
    tenantId = tenant.id;
    await tenants.updatePolicy(tenant.id, { mfa: { mode: 'always', factors: ['passkey', 'totp'] } });
    await users.create({ tenantId, email: dave.email, password: dave.password });
    for (const email of [f.user.email, dave.email]) {
      secrets.set(email, (await enrollTotpDirectly(f.server.container, f.tenant, email, clock.now())).secret);
    }
    laptop = await browserContext(world, [RECORD_GETS, NO_AUTOFILL]);
    laptopKey = await addAuthenticator(laptop);
  });
  after(() => stopBrowserWorld(world));

  it('creates a passkey in the console: the unlocked security section, a name, the device makes it', async () => {
    const { page } = laptop;
    const request = await authorizationRequest(page, world.config, world.app);
    await page.goto(request.url);
    await fillSignIn(page, f.user);
    const code = page.getByLabel('Code', { exact: true });
    await code.fill(await totpCode(f.user.email));
    await code.press('Enter');
    await request.finish();

    await page.goto(`${f.server.url}/account?tenant=${f.tenant}`);
    await page.getByRole('link', { name: /Security settings/ }).press('Enter');
    await page.getByRole('heading', { name: 'Confirm your password' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill(f.user.password);
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.locator('#factors').waitFor();
    await page.getByRole('button', { name: 'Passkey', exact: true }).press('Enter');

    await page.getByRole('heading', { name: 'Add a two-step verification method' }).waitFor();
    const name = page.getByLabel('Name of this passkey');
    expect(await name.inputValue(), 'a name is proposed').to.equal('Passkey');
    expect(await page.locator('form[data-passkey="create"]').isVisible(), 'the script shows the form').to.equal(true);
    await checkPage(laptop, SUITE, 'account-add-passkey');
    await name.fill('Work laptop');
    await page.getByRole('button', { name: 'Create a passkey' }).press('Enter');

    // the first factor added here makes the recovery codes, shown once
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await page.getByText('Passkey was added. We sent you an email about it.').waitFor();
    await checkPage(laptop, SUITE, 'account-passkey-added');
    await page.getByRole('link', { name: 'Back to the security settings' }).press('Enter');
    const listed = page.locator('#factors li[data-factor="passkey"]');
    await listed.waitFor();
    expect(await listed.count()).to.equal(1);
    expect(await listed.locator('.factor-name').textContent()).to.equal('Passkey');
    expect(await listed.locator('.muted').textContent()).to.match(/^Work laptop · added /);
    await checkPage(laptop, SUITE, 'account-security-passkey');

    const credentials = await laptopKey.credentials();
    expect(credentials.map((c) => ({ resident: c.isResidentCredential, rpId: c.rpId, userName: c.userName }))).to.deep.equal([
      { resident: true, rpId: 'localhost', userName: f.user.email },
    ]);
    // the user handle is the account id: a passwordless sign-in names the account by it
    expect(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('hex')).to.equal((await userId(f.user.email)).replaceAll('-', ''));
  });

  it('asks the passkey as the second factor after the password, and the application gets the phishing-resistant acr', async () => {
    const { page } = laptop;
    await laptop.context.clearCookies();
    laptop.gets.length = 0;
    const request = await authorizationRequest(page, world.config, world.app);
    await page.goto(request.url);
    await fillSignIn(page, f.user);
    // the authenticator app, the older factor, is asked first; the passkey is one link away
    await page.getByText('Enter the 6-digit code from your authenticator app.').waitFor();
    await page.getByRole('navigation', { name: 'Use another method' }).getByRole('link', { name: 'Passkey' }).press('Enter');
    await page.getByText('Use one of your passkeys: your device will ask for your fingerprint, face or screen lock.').waitFor();
    const use = page.getByRole('button', { name: 'Use a passkey' });
    expect(await use.isVisible()).to.equal(true);
    await checkPage(laptop, SUITE, 'second-factor-passkey');
    await use.press('Enter');

    const claims = await request.finish();
    expect(claims.sub).to.equal(await userId(f.user.email));
    expect(claims.acr).to.equal(PHR_ACR);
    expect(claims.amr).to.deep.equal(['pwd', 'hwk', 'user', 'mfa']);
    expect(laptop.gets, 'one request, started by the button').to.deep.equal(['modal']);
  });

  let phone: Awaited<ReturnType<typeof browserContext>>;
  let phoneKey: Authenticator;

  it('signs in without a password with the "Sign in with a passkey" button, again after a refused fingerprint', async () => {
    // the same passkey on a second browser that offers passkeys in the autofill (its counter carried over)
    phone = await browserContext(world, [RECORD_GETS]);
    phoneKey = await addAuthenticator(phone);
    const [credential] = await laptopKey.credentials();
    await phoneKey.cdp.send('WebAuthn.addCredential', { authenticatorId: phoneKey.id, credential: credential! });
    // the device waits for a touch, so the autofill request the page starts stays open
    await phoneKey.presence(false);
    const { page } = phone;
    const request = await authorizationRequest(page, world.config, world.app);
    await page.goto(request.url);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    await until(() => phone.gets.length === 1, 'the autofill request');
    expect(phone.gets, 'the email field offers passkeys').to.deep.equal(['conditional']);
    expect(await page.getByLabel('Email address').getAttribute('autocomplete')).to.equal('username webauthn');
    await checkPage(phone, SUITE, 'sign-in-passkey');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(new URL(r.url()).pathname);
    });

    // the device does not recognise the finger: the browser refuses, the page says so and offers the autofill again
    await phoneKey.cdp.send('WebAuthn.setUserVerified', { authenticatorId: phoneKey.id, isUserVerified: false });
    await phoneKey.presence(true);
    await button.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'No passkey was used. Try again, or choose another way to sign in.' }).waitFor();
    await until(() => phone.gets.length === 3, 'the autofill request again');
    expect(phone.gets).to.deep.equal(['conditional', 'modal', 'conditional']);
    expect(posts, 'nothing was posted').to.deep.equal([]);
    await checkPage(phone, SUITE, 'sign-in-passkey-not-used');

    // the same sign-in page again, and this time the finger is recognised
    await phoneKey.presence(false);
    await phoneKey.cdp.send('WebAuthn.setUserVerified', { authenticatorId: phoneKey.id, isUserVerified: true });
    phone.gets.length = 0;
    await page.reload();
    await until(() => phone.gets.length === 1, 'the autofill request');
    await phoneKey.presence(true);
    await button.press('Enter');
    const claims = await request.finish();
    expect(claims.sub).to.equal(await userId(f.user.email));
    expect(claims.acr).to.equal(PHR_ACR);
    expect(claims.amr).to.deep.equal(['hwk', 'user', 'mfa']);
    expect(phone.gets, 'the button ended the autofill request and started its own').to.deep.equal(['conditional', 'modal']);
  });

  it('signs in with the passkey the email field offers (conditional mediation)', async () => {
    // Chromium's virtual authenticator answers a conditional request at once with its one
    // discoverable credential: headless Chromium shows no autofill list to pick from, so the
    // pick itself is not exercised. What is: the page asks with mediation 'conditional' on load,
    // with no click and no password, and the answer it posts signs the user in.
    const { page } = phone;
    await phone.context.clearCookies();
    phone.gets.length = 0;
    const request = await authorizationRequest(page, world.config, world.app);
    const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/passkey'));
    await page.goto(request.url);
    expect(new URL((await posted).url()).pathname).to.match(/^\/interaction\/[^/]+\/passkey$/);
    const claims = await request.finish();
    expect(phone.gets, 'only the autofill request, no button').to.deep.equal(['conditional']);
    expect(claims.sub).to.equal(await userId(f.user.email));
    expect(claims.acr).to.equal(PHR_ACR);
    expect(claims.amr).to.deep.equal(['hwk', 'user', 'mfa']);
  });

  it('removes the passkey in the console; the device still has it, the server no longer knows it', async () => {
    const { page } = laptop;
    await page.goto(`${f.server.url}/account/security`);
    await page.getByRole('heading', { name: 'Confirm your password' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill(f.user.password);
    await page.getByLabel('Password', { exact: true }).press('Enter');
    const listed = page.locator('#factors li[data-factor="passkey"]');
    await listed.getByRole('button', { name: 'Remove' }).press('Enter');
    await page.getByText('Passkey was removed. We sent you an email about it.').waitFor();
    expect(await page.locator('#factors li[data-factor="passkey"]').count()).to.equal(0);
    expect(await page.locator('#factors li[data-factor="totp"]').count()).to.equal(1);
    await checkPage(laptop, SUITE, 'account-passkey-removed');

    expect((await laptopKey.credentials()).length, 'the device keeps its credential').to.equal(1);
    await laptop.context.clearCookies();
    const request = await authorizationRequest(page, world.config, world.app);
    await page.goto(request.url);
    const started = new Date(clock.now());
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/passkey'));
    await page.getByRole('button', { name: 'Sign in with a passkey' }).press('Enter');
    expect((await refused).status()).to.equal(401);
    await page.getByRole('alert').filter({ hasText: 'That passkey could not be used. Try again, or choose another way to sign in.' }).waitFor();
    expect(page.url()).to.match(/\/interaction\/[^/]+\/passkey$/);
    // the refusal names no field the user typed in, and the password help is not shown
    expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).to.equal(null);
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).to.equal(null);
    expect(await page.getByRole('heading', { name: 'Cannot sign in?' }).count()).to.equal(0);
    await checkPage(laptop, SUITE, 'sign-in-passkey-refused');
    const { events } = await f.server.container.audit.list({ tenantId, action: 'signin.failed', from: started, limit: 10 });
    expect(events.map((e) => e.details)).to.deep.equal([{ method: 'passkey', reason: 'unknown-passkey' }]);
  });

  it('sets up a passkey during the sign-in when the application asks for the phishing-resistant level, after the factor the user has', async () => {
    const w = await browserContext(world, [RECORD_GETS]);
    const key = await addAuthenticator(w);
    const { page } = w;
    const request = await authorizationRequest(page, world.config, world.app, { acr_values: PHR_ACR });
    await page.goto(request.url);
    await fillSignIn(page, dave);
    // the password alone never adds a factor to an account that has one: the app's code first
    const code = page.getByLabel('Code', { exact: true });
    await code.fill(await totpCode(dave.email));
    await code.press('Enter');
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(await page.locator('.choices button').allTextContents(), 'only a passkey will do').to.deep.equal(['Passkey']);
    await checkPage(w, SUITE, 'enroll-choose-passkey');
    await page.getByRole('button', { name: 'Passkey', exact: true }).press('Enter');
    await page.getByText('Create a passkey: your device keeps it').waitFor();
    await checkPage(w, SUITE, 'enroll-passkey');
    await page.getByLabel('Name of this passkey').fill('Dave’s laptop');
    await page.getByRole('button', { name: 'Create a passkey' }).press('Enter');
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await page.getByRole('button', { name: /I saved them/ }).press('Enter');

    const claims = await request.finish();
    expect(claims.sub).to.equal(await userId(dave.email));
    expect(claims.acr).to.equal(PHR_ACR);
    expect(claims.amr).to.deep.equal(['pwd', 'hwk', 'otp', 'user', 'mfa']);
    expect((await key.credentials()).map((c) => c.userName)).to.deep.equal([dave.email]);
    const factors = (await f.server.container.factors.list(await userId(dave.email))).filter((x) => x.confirmedAt);
    expect(factors.map((x) => x.type)).to.deep.equal(['totp', 'passkey']);
    expect(factors[1]!.label).to.equal('Dave’s laptop');
  });

  it('without WebAuthn the passkey forms stay hidden and the password signs in', async () => {
    const w = await browserContext(world, [NO_WEBAUTHN]);
    const { page } = w;
    const request = await authorizationRequest(page, world.config, world.app);
    await page.goto(request.url);
    expect(await page.evaluate('typeof window.PublicKeyCredential')).to.equal('undefined');
    const form = page.locator('form[data-passkey="get"]');
    expect(await form.count(), 'the page has the passkey form').to.equal(1);
    expect(await form.isHidden()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).count(), 'hidden from the accessibility tree too').to.equal(0);
    expect(await page.getByText('Passkeys need JavaScript').count(), 'the password is the way here: no word about passkeys').to.equal(0);
    expect(await page.getByLabel('Email address').getAttribute('autocomplete')).to.equal('username webauthn');
    await checkPage(w, SUITE, 'sign-in-no-webauthn');
    await fillSignIn(page, dave);
    // dave's passkey is his newer factor: the authenticator app is asked first, the passkey is offered
    await page.getByText('Enter the 6-digit code from your authenticator app.').waitFor();
    const other = page.getByRole('navigation', { name: 'Use another method' });
    await other.getByRole('link', { name: 'Passkey' }).press('Enter');
    await page.getByText('Use one of your passkeys: your device will ask for your fingerprint, face or screen lock.').waitFor();
    expect(await page.locator('form[data-passkey="get"]').isHidden()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Use a passkey' }).count()).to.equal(0);
    expect(await page.getByText('Passkeys need JavaScript and a browser that supports them.').isVisible(), 'the page says why').to.equal(true);
    await checkPage(w, SUITE, 'second-factor-passkey-no-webauthn');
    await other.getByRole('link', { name: 'Authenticator app' }).press('Enter');
    const code = page.getByLabel('Code', { exact: true });
    await code.fill(await totpCode(dave.email));
    await code.press('Enter');
    const claims = await request.finish();
    expect(claims.sub).to.equal(await userId(dave.email));
    expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
  });
});
