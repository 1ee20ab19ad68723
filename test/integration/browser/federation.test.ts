import { expect } from 'chai';
import type { Fixture } from '../../support/fixture.ts';
import { freePort } from '../../support/server.ts';
import { watchedContext, checkPage, type WatchedContext } from '../../support/chromium.ts';
import { addProvider, connectDownstream, events, startUpstream, type Downstream, type Upstream } from '../federation/federation-flow.ts';
import { authorizationRequest, fillSignIn, type BrowserSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'federation';
const LOGO = 'https://logo.example.test/corp.svg';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#1a7f37"/></svg>';

/**
 * Signing in through an upstream OpenID Connect provider in real Chromium. The upstream is a
 * second Latchkey (as in test/integration/federation/) named localhost, so the browser keeps its
 * cookies apart from the downstream's at 127.0.0.1 as it would for two real sites. Every page the
 * browser meets passes axe-core and the CSP check, with screenshots.
 */
describe('browser: sign-in through an upstream provider', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let upstream: Upstream;
  let f: Fixture;
  let d: Downstream;
  let w: WatchedContext;
  const bob = { email: 'bob@corp.example', password: 'upstream bob passphrase 2024' };
  const dave = { email: 'dave@corp.example', password: 'upstream dave passphrase 2024' };
  const userId = async (email: string) => (await f.server.container.users.findByEmail(d.tenantId, email))?.id;

  before(async () => {
    [world, upstream] = await Promise.all([
      startBrowserWorld({ env: { FEDERATION_ALLOW_HTTP: 'true', FEDERATION_TIMEOUT_MS: '1500' } }),
      startUpstream({ host: 'localhost' }),
    ]);
    ({ f } = world);
    const { up } = upstream;
    const upTenant = await up.server.container.tenants.getByName(up.tenant);
    for (const u of [bob, dave]) await up.server.container.users.create({ tenantId: upTenant.id, email: u.email, password: u.password, firstName: 'Corp' });
    d = await connectDownstream(upstream, f);
    await f.server.container.tenants.updateBranding(d.tenantId, { displayName: 'Corp Downstream', logoUrl: null });
    await addProvider(d, { label: 'Corp IdP', logoUrl: LOGO, domains: ['corp.example'], provisionRole: 'member' });
  });
  after(async () => {
    await stopBrowserWorld(world);
    await upstream?.close();
  });

  /** a browser of its own for each story, with the provider's logo host answered here */
  beforeEach(async () => {
    w = await watchedContext(world.browser);
    await w.context.route('https://logo.example.test/**', (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
  });
  afterEach(() => w?.context.close());

  async function openSignIn(): Promise<BrowserSignIn> {
    const request = await authorizationRequest(w.page, world.config, world.app);
    await w.page.goto(request.url);
    await w.page.getByLabel('Password', { exact: true }).waitFor();
    return request;
  }

  /** the upstream Latchkey's own hosted sign-in page, reached from the downstream */
  async function atUpstreamSignIn(name: string) {
    await w.page.waitForURL((u) => u.origin === new URL(upstream.proxy.url).origin);
    await w.page.getByLabel('Password', { exact: true }).waitFor();
    await checkPage(w, SUITE, name);
  }

  it("a provider button with its logo: through the upstream's sign-in and back, the application gets its code for a new member", async () => {
    const request = await openSignIn();
    const button = w.page.getByRole('button', { name: 'Sign in with Corp IdP' });
    await w.page.getByRole('region', { name: 'Or sign in with' }).waitFor();
    await w.page.waitForFunction('document.querySelector("button.provider img")?.complete');
    expect(Number(await w.page.evaluate('document.querySelector("button.provider img").naturalWidth')), 'the logo loaded').to.be.greaterThan(0);
    expect(w.documentCsp()).to.include("img-src 'self' data: https://logo.example.test;");
    await checkPage(w, SUITE, 'sign-in-with-provider');

    await button.focus();
    const ring = await w.page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(ring, 'the focused provider button shows a ring').to.equal('solid');
    await button.press('Enter');
    await atUpstreamSignIn('upstream-sign-in');
    await fillSignIn(w.page, bob);

    const claims = await request.finish();
    expect(claims.amr).to.deep.equal(['fed']);
    expect(claims.sub).to.equal(await userId(bob.email));
    expect((await f.server.container.users.findByEmail(d.tenantId, bob.email))!.role).to.equal('member');
  });

  it("home realm discovery: an email of the provider's domain alone goes to the provider, which has it filled in", async () => {
    const request = await openSignIn();
    const email = w.page.getByLabel('Email address');
    await email.fill(dave.email);
    await email.press('Enter');
    await atUpstreamSignIn('upstream-sign-in-hinted');
    expect(await w.page.getByLabel('Email address').inputValue(), 'login_hint').to.equal(dave.email);
    const password = w.page.getByLabel('Password', { exact: true });
    await password.fill(dave.password);
    await password.press('Enter');

    const claims = await request.finish();
    expect(claims.amr).to.deep.equal(['fed']);
    expect(claims.sub).to.equal(await userId(dave.email));
  });

  it('an account here with the same email: its password once links it (a wrong one is refused beside the field)', async () => {
    const request = await openSignIn();
    await w.page.getByRole('button', { name: 'Sign in with Corp IdP' }).press('Enter');
    await atUpstreamSignIn('upstream-sign-in-existing');
    await fillSignIn(w.page, upstream.up.user);

    await w.page.getByRole('heading', { name: 'Link your Corp IdP account' }).waitFor();
    expect(await w.page.locator('main .lead').textContent()).to.include(f.user.email);
    await checkPage(w, SUITE, 'federation-link');
    const password = w.page.getByLabel('Password of your account here');
    await password.fill('not the password at all');
    await password.press('Enter');
    await w.page.getByRole('alert').waitFor();
    expect(await w.page.getByRole('alert').textContent()).to.equal('The password is not correct.');
    expect(await password.getAttribute('aria-invalid')).to.equal('true');
    expect(await password.getAttribute('aria-describedby')).to.equal('form-error');
    await checkPage(w, SUITE, 'federation-link-refused');
    await password.fill(f.user.password);
    await w.page.getByRole('button', { name: 'Link and continue' }).press('Enter');

    const claims = await request.finish();
    expect(claims.amr).to.deep.equal(['pwd', 'fed']);
    expect(claims.sub).to.equal(await userId(f.user.email));
    expect((await events(d, 'federation.linked'))[0]).to.include({ userId: claims.sub });
  });

  it('cancelled at the upstream: a page that says what it answered, and back to sign-in from there', async () => {
    await openSignIn();
    await w.page.getByRole('button', { name: 'Sign in with Corp IdP' }).press('Enter');
    await atUpstreamSignIn('upstream-sign-in-cancel');
    await w.page.getByRole('button', { name: /^Cancel and return to / }).press('Enter');

    await w.page.getByRole('heading', { name: 'You are not signed in' }).waitFor();
    expect(await w.page.getByRole('alert').textContent()).to.equal('Corp IdP did not sign you in (it answered: access_denied).');
    expect(new URL(w.page.url()).origin).to.equal(f.server.url);
    expect(await w.page.locator('header.brand').textContent(), 'whose sign-in stopped').to.include('Corp Downstream');
    await checkPage(w, SUITE, 'federation-error-response');
    await w.page.getByRole('link', { name: 'Back to sign-in' }).press('Enter');
    await w.page.getByRole('button', { name: 'Sign in with Corp IdP' }).waitFor();
    expect(await w.page.getByRole('heading', { level: 1 }).textContent()).to.equal('Sign in');
  });

  it('an upstream that cannot be reached, and a return nobody started: each a page with what to do next', async () => {
    const gone = await addProvider(d, { label: 'Gone IdP', issuer: `http://127.0.0.1:${await freePort()}` });
    try {
      await openSignIn();
      await checkPage(w, SUITE, 'sign-in-two-providers');
      await w.page.getByRole('button', { name: 'Sign in with Gone IdP' }).press('Enter');
      await w.page.getByRole('heading', { name: 'You are not signed in' }).waitFor();
      expect(await w.page.getByRole('alert').textContent()).to.equal('Gone IdP could not be reached. Try again in a moment, or sign in another way.');
      await w.page.getByRole('link', { name: 'Back to sign-in' }).waitFor();
      await checkPage(w, SUITE, 'federation-unreachable');
    } finally {
      await f.server.container.federation.providers.remove(d.tenantId, gone.id);
    }

    await w.page.goto(`${f.server.url}/federation/callback?code=abc&state=${'x'.repeat(43)}`);
    await w.page.getByRole('heading', { name: 'You are not signed in' }).waitFor();
    expect(await w.page.locator('main').textContent()).to.include('Go back to the application and sign in again.');
    await checkPage(w, SUITE, 'federation-state-unknown');
  });
});
