import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createUser, forcePasswordReset, setPolicy } from '../../support/accounts.ts';
import { Browser } from '../../support/browser.ts';
import { enrollTotpDirectly, finishFlow, post, startFlow, type Flow } from '../../support/two-factor.ts';
import { outbox } from '../../support/outbox.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { BACKENDS } from '../../support/backends.ts';

const DAY = 86_400_000;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const NEW_DEVICE = 'New sign-in to your account';

for (const kind of BACKENDS) {
  describe(`remembered devices (${kind})`, function () {
    this.timeout(90_000);
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    let secret = '';
    let ahead = 0;
    const code = async () => {
      ahead += 30_000;
      clock.travel(ahead);
      return totpCodeAt(secret, clock.now());
    };
    /** a browser with this user agent and client address, holding only the given device cookie */
    const browser = (options: { ua?: string; ip?: string; device?: string } = {}) => {
      const b = new Browser(new URL(config.serverMetadata().issuer).origin);
      b.headers['user-agent'] = options.ua ?? FIREFOX;
      b.headers['x-forwarded-for'] = options.ip ?? '198.51.100.10';
      if (options.device) b.cookies.set('lk.device', options.device);
      return b;
    };
    const newDeviceMails = async () => (await outbox(f.server.url, f.user.email)).filter((m) => m.subject === NEW_DEVICE);
    const signInWithCode = async (b: Browser, remember?: string): Promise<Flow> => {
      const flow = await startFlow(config, f.client, f.user, { browser: b });
      expect(flow.page.html, 'the second factor is asked').to.include('authenticator app');
      const done = await post(b, flow.page, '/mfa', { code: await code(), ...(remember ? { remember: 'on', deviceName: remember } : {}) });
      return { ...flow, page: done };
    };

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock, env: { TRUST_PROXY: '127.0.0.1/32,::1' } }));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp'] }, devices: { trustDays: 60, recheckDays: 30 } });
      ({ secret } = await enrollTotpDirectly(f.server.container, f.tenant, f.user.email, clock.now()));
    });
    after(() => disposeFixture(f));

    let device = '';

    it('offers to remember the device, unchecked, with a name suggested from the browser', async () => {
      const flow = await startFlow(config, f.client, f.user, { browser: browser() });
      expect(flow.page.html).to.match(/<input type="checkbox" name="remember" id="remember">/);
      expect(flow.page.html).to.include('value="Firefox on Windows"');
    });

    it('remembers the device after the second factor, with an HttpOnly SameSite=Lax cookie, and emails the user about the new device', async () => {
      const before = (await newDeviceMails()).length;
      const b = browser();
      const flow = await signInWithCode(b, 'Home laptop');
      const { claims } = await finishFlow(config, f.client, flow);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      device = b.cookies.get('lk.device') ?? '';
      expect(device).to.match(/^[\w-]{43}$/);
      const line = b.setCookieLines.find((l) => l.startsWith('lk.device='))!;
      expect(line.toLowerCase()).to.include('httponly').and.to.include('samesite=lax').and.to.include('path=/');
      expect(Date.parse(/expires=([^;]+)/i.exec(line)![1]!) - Date.now()).to.be.closeTo(60 * DAY, DAY);
      const devices = await f.server.container.devices.list(
        (await f.server.container.users.findByEmail((await f.server.container.tenants.getByName(f.tenant)).id, f.user.email))!.id,
      );
      expect(devices.map((d) => [d.name, d.family, d.os])).to.deep.include(['Home laptop', 'Firefox', 'Windows']);
      const mails = await newDeviceMails();
      expect(mails.length).to.equal(before + 1);
      expect(mails[0]!.text).to.include('198.51.100.10').and.to.include('Firefox').and.to.include('Windows');
    });

    it('skips the second factor on the remembered device, from any IP, and the token says pwd only', async () => {
      const before = (await newDeviceMails()).length;
      for (const ip of ['198.51.100.10', '203.0.113.99']) {
        const flow = await startFlow(config, f.client, f.user, { browser: browser({ device, ip }) });
        const { claims } = await finishFlow(config, f.client, flow);
        expect(claims.acr).to.equal('urn:latchkey:acr:pwd');
        expect(claims.amr).to.deep.equal(['pwd']);
      }
      expect((await newDeviceMails()).length, 'no new-device email for a remembered device').to.equal(before);
    });

    it('still asks the second factor for a step-up on a remembered device', async () => {
      const flow = await startFlow(config, f.client, f.user, { browser: browser({ device }), extra: { acr_values: 'urn:latchkey:acr:mfa' } });
      expect(flow.page.html).to.include('authenticator app');
    });

    for (const [name, extra] of [
      ['max_age=0', { max_age: '0' }],
      ['max_age=600', { max_age: '600' }],
      ['prompt=login', { prompt: 'login' }],
    ] as const) {
      it(`asks the second factor for a fresh authentication (${name}) on a remembered device, and the token says mfa`, async () => {
        // a browser holding only the device cookie: no session, so every one of these shows the sign-in form
        const flow = await startFlow(config, f.client, f.user, { browser: browser({ device }), extra });
        expect(flow.page.html).to.include('authenticator app');
        const done = await post(flow.browser, flow.page, '/mfa', { code: await code() });
        const { claims } = await finishFlow(config, f.client, flow, done);
        expect(claims.acr).to.equal('urn:latchkey:acr:mfa');
        expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      });
    }

    it('counts a forged cookie, or the cookie in another browser family, as no device', async () => {
      const forged = await startFlow(config, f.client, f.user, { browser: browser({ device: 'A'.repeat(43) }) });
      expect(forged.page.html).to.include('authenticator app');
      const chrome = await startFlow(config, f.client, f.user, { browser: browser({ device, ua: CHROME }) });
      expect(chrome.page.html).to.include('authenticator app');
    });

    it("counts another user's device cookie as no device", async () => {
      await createUser(f, { email: 'erin@example.com', password: 'erin has a long passphrase here' });
      const flow = await startFlow(
        config,
        f.client,
        { email: 'erin@example.com', password: 'erin has a long passphrase here' },
        { browser: browser({ device }) },
      );
      expect(flow.page.html, 'erin has no factor: enrollment, not a skip').to.include('Set up two-step verification');
    });

    it('asks the second factor again on a remembered device once the last one is older than the re-check period', async () => {
      ahead += 31 * DAY;
      clock.travel(ahead);
      const b = browser({ device });
      const flow = await signInWithCode(b);
      await finishFlow(config, f.client, flow);
      const after = await startFlow(config, f.client, f.user, { browser: browser({ device }) });
      expect((await finishFlow(config, f.client, after)).claims.amr, 'the re-check reset the clock').to.deep.equal(['pwd']);
    });

    it('with browser+IP binding, a new IP needs the second factor and can be remembered as a new location', async () => {
      await setPolicy(f, { devices: { binding: 'browser+ip' } });
      try {
        const b = browser({ ip: '192.0.2.1' });
        await finishFlow(config, f.client, await signInWithCode(b, 'Office'));
        const bound = b.cookies.get('lk.device')!;
        const same = await startFlow(config, f.client, f.user, { browser: browser({ device: bound, ip: '192.0.2.1' }) });
        expect((await finishFlow(config, f.client, same)).claims.amr).to.deep.equal(['pwd']);
        const moved = browser({ device: bound, ip: '192.0.2.2' });
        await finishFlow(config, f.client, await signInWithCode(moved, 'Office, new desk'));
        const back = await startFlow(config, f.client, f.user, { browser: browser({ device: moved.cookies.get('lk.device')!, ip: '192.0.2.2' }) });
        expect((await finishFlow(config, f.client, back)).claims.amr).to.deep.equal(['pwd']);
      } finally {
        await setPolicy(f, { devices: { binding: 'browser' } });
      }
    });

    it('forgets every device when an admin forces a password reset', async () => {
      const userId = (await f.server.container.users.findByEmail((await f.server.container.tenants.getByName(f.tenant)).id, f.user.email))!.id;
      expect((await f.server.container.devices.list(userId)).length).to.be.greaterThan(0);
      await forcePasswordReset(f, f.user.email);
      expect(await f.server.container.devices.list(userId)).to.deep.equal([]);
      // the emailed link sets the new password (here, in process); the device is not remembered any more
      await f.server.container.passwords.save(f.user.password, userId);
      const flow = await startFlow(config, f.client, f.user, { browser: browser({ device }) });
      expect(flow.page.html).to.include('authenticator app');
    });

    it('sends no new-device email when the tenant turned it off', async () => {
      await setPolicy(f, { devices: { newDeviceEmail: false } });
      const before = (await newDeviceMails()).length;
      const flow = await signInWithCode(browser({ ua: CHROME }));
      expect((await finishFlow(config, f.client, flow)).claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      expect((await newDeviceMails()).length).to.equal(before);
    });
  });
}
