import { expect } from 'chai';
import { createFixture, disposeFixture, movableClock } from '../../support/fixture.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { post } from '../../support/two-factor.ts';
import type { Page } from '../../support/sign-in-pages.ts';
import type { UpstreamProvider } from '../../../src/federation/providers.ts';
import { consoleSignIn, csrfOf, open, unlockSecurity } from '../console/support.ts';
import { addProvider, connectDownstream, events, navigate, signInUpstream, startUpstream, type Downstream, type Upstream } from './federation-flow.ts';

/**
 * A user provisioned just in time by an upstream provider has no local password: the account's
 * security section opens after signing in again at the upstream (prompt=login, max_age=0 all
 * the way), bound to this browser's session. PostgreSQL and Redis on both sides.
 */
describe('federation: a user without a password opens the security section through the upstream', function () {
  this.timeout(120_000);
  const clock = movableClock();
  let upstream: Upstream;
  let d: Downstream;
  let corp: UpstreamProvider;
  const bob = { email: 'bob@corp.example', password: 'upstream bob passphrase 2024' };
  /** bob's browsers: at the downstream (signed in through the upstream) and at the upstream (its session stays) */
  let browser: Browser;
  let atUpstream: Browser;

  before(async () => {
    upstream = await startUpstream();
    const c = upstream.up.server.container;
    await c.users.create({ tenantId: (await c.tenants.getByName(upstream.up.tenant)).id, email: bob.email, password: bob.password });
    d = await connectDownstream(upstream, await createFixture('postgres', { clock, env: { FEDERATION_ALLOW_HTTP: 'true' } }));
    corp = await addProvider(d, { label: 'Corp IdP', provisionRole: 'member' });
    // bob's first console sign-in: the button, the upstream's form, back (provisioned just in time)
    browser = new Browser(d.f.server.url);
    atUpstream = new Browser(upstream.proxy.url);
    const login = await open(browser, `/account?tenant=${d.f.tenant}`);
    const away = await post(browser, login, '/federation/start', { provider: corp.id });
    const { page: back } = await signInUpstream(away.url, bob, atUpstream);
    const overview = await navigate(browser, back.url);
    expect(overview.url, overview.html.slice(0, 600)).to.equal(`${d.f.server.url}/account`);
  });

  after(async () => {
    await disposeFixture(d?.f);
    await upstream?.close();
  });
  afterEach(() => clock.travel(0));

  const bobId = async () => (await d.f.server.container.users.findByEmail(d.tenantId, bob.email))!.id;

  /** presses "Confirm it's you with Corp IdP" and returns the upstream's authorization URL the browser was sent to */
  async function confirmWithCorp(): Promise<{ unlockPage: Page; upstreamUrl: URL }> {
    const unlockPage = await open(browser, '/account/security');
    const away = await post(browser, unlockPage, '/account/security/reauthenticate', { provider: corp.id });
    expect(away.url.startsWith(`${upstream.proxy.url}/auth?`), `${away.status} ${away.url} ${away.html.slice(0, 400)}`).to.equal(true);
    return { unlockPage, upstreamUrl: new URL(away.url) };
  }

  it('offers the provider instead of a password, re-authenticates at the upstream, and opens the section for 10 minutes', async () => {
    const { unlockPage, upstreamUrl } = await confirmWithCorp();
    expect(unlockPage.status).to.equal(200);
    expect(unlockPage.html).to.include('Confirm it&#x27;s you with Corp IdP').and.not.include('name="password"');
    // the upstream is asked for an authentication made now, and asks bob again although his session there is alive
    expect(upstreamUrl.searchParams.get('prompt')).to.equal('login');
    expect(upstreamUrl.searchParams.get('max_age')).to.equal('0');
    const atForm = await navigate(atUpstream, upstreamUrl.toString());
    expect(atForm.html, 'the upstream shows its sign-in form').to.include('/login');
    const { page: back } = await signInUpstream(atForm.url, bob, atUpstream);

    const section = await navigate(browser, back.url);
    expect(section.url).to.equal(`${d.f.server.url}/account/security`);
    const [identity] = await d.f.server.container.federation.identities.listForUser(await bobId());
    expect(section.html).to.include(`data-identity="${identity!.id}"`).and.include('Corp IdP');
    expect(section.html, 'no password to change').to.include('id="password-none"').and.not.include('id="password-form"');
    const [unlocked] = await events(d, 'security.unlocked');
    expect(unlocked).to.include({ userId: await bobId() });
    expect(unlocked!.details).to.include({ method: 'upstream', providerId: corp.id, via: 'account-security' });

    // the only way in of a user without a password cannot be removed
    const refused = await post(browser, section, '/identities/remove', { identity: identity!.id });
    expect(refused.status).to.equal(409);
    expect(refused.html).to.include('This identity is the only way to sign in to this account');
    expect(await d.f.server.container.federation.identities.listForUser(await bobId())).to.have.length(1);
    expect(await events(d, 'federation.unlinked')).to.have.length(0);

    // ten minutes later the section is closed again and asks for the provider once more
    clock.travel(10 * 60_000 + 1000);
    const later = await open(browser, '/account/security');
    expect(later.html).to.include('Confirm it&#x27;s you with Corp IdP').and.not.include('data-identity=');
    const tooLate = await post(browser, section, '/identities/remove', { identity: identity!.id });
    expect(tooLate.status).to.equal(401);
    expect(tooLate.html).to.include('For your security, confirm it&#x27;s you again.');
  });

  it('does not open for a return without a fresh authentication, and the state serves once', async () => {
    // "Done" first, should the section still be open from the test before (the clock is back)
    const before = await open(browser, '/account/security');
    const unlockPage = before.html.includes('/account/security/lock') ? await post(browser, before, '/account/security/lock') : before;
    // the console's authorization request (prompt=login, max_age=0), not followed
    const { fields } = findForm(unlockPage.html, '/account/security/reauthenticate');
    const res = await browser.request('/account/security/reauthenticate', { form: { ...fields, provider: corp.id } });
    expect(res.status).to.equal(303);
    const request = new URL(res.headers.get('location')!, d.f.server.url);
    expect(request.searchParams.get('prompt')).to.equal('login');
    expect(request.searchParams.get('max_age')).to.equal('0');
    expect(request.searchParams.get('provider_hint')).to.equal(corp.id);
    // the same request without them: the live session answers at once, nobody authenticates
    for (const p of ['prompt', 'max_age', 'provider_hint']) request.searchParams.delete(p);
    const stale = await navigate(browser, request.toString());
    expect(stale.url).to.include('/account/callback');
    expect(stale.status).to.equal(401);
    expect(stale.html).to.include('We could not confirm it&#x27;s you.');
    const [refused] = await events(d, 'security.unlock_refused');
    expect(refused!.details).to.include({ method: 'upstream', reason: 'not-fresh' });
    expect((await open(browser, '/account/security')).html).to.not.include('data-identity=');

    // the same callback again: its state was used up with the cookie
    const replay = await navigate(browser, stale.url);
    expect(replay.status).to.equal(400);
    expect((await open(browser, '/account/security')).html).to.not.include('data-identity=');
  });

  it('keeps the password form for a user who has a password', async () => {
    const { browser: alice } = await consoleSignIn(d.f.server.url, `/account?tenant=${d.f.tenant}`, d.f.user);
    const page = await open(alice, '/account/security');
    expect(page.html).to.include('name="password"').and.not.include('/account/security/reauthenticate');
    const pressed = await post(alice, page, '/account/security/unlock', { password: 'not the password at all' });
    expect(pressed.status).to.equal(401);
    // a crafted "confirm through a provider" is refused: this account has a password
    const crafted = await post(alice, page, '/account/security/unlock', {});
    expect(crafted.status).to.equal(400);
    const viaProvider = await alice.navigate('/account/security/reauthenticate', { form: { csrf: csrfOf(page.html, '/unlock'), provider: corp.id } });
    expect(viaProvider.res.status).to.equal(400);
    expect(viaProvider.html).to.include('This account has a password');
    const opened = await unlockSecurity(alice, d.f.user.password);
    expect(opened.status).to.equal(200);
    expect(opened.html).to.include('id="identities"');
    const aliceId = (await d.f.server.container.users.findByEmail(d.tenantId, d.f.user.email))!.id;
    const unlocked = (await events(d, 'security.unlocked')).find((e) => e.userId === aliceId);
    expect(unlocked!.details).to.include({ method: 'password' });
  });
});
