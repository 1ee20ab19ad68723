import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { cli, runCli } from '../../support/cli.ts';
import { createUser, setPolicy } from '../../support/accounts.ts';
import { Browser, findForm } from '../../support/browser.ts';
import type { Page } from '../../support/sign-in-pages.ts';
import { enrollTotpDirectly, finishFlow, noticeText, post, startFlow, type Flow } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';
import { BACKENDS } from '../../support/backends.ts';

const DAY = 86_400_000;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** what the security page shows for a date: medium date, short time, said to be UTC */
const READABLE_UTC = /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M UTC$/;

interface Entry {
  id: string;
  name: string;
  current: boolean;
  facts: Record<string, string>;
  html: string;
}

/** the remembered devices the page lists, in its order */
function devicesOn(html: string): Entry[] {
  return [...html.matchAll(/<li class="factor" data-device="([^"]+)">([\s\S]*?)<\/li>/g)].map(([, id = '', inner = '']) => ({
    id,
    html: inner,
    name: /<div class="factor-name">([^<]*)/.exec(inner)?.[1]?.trim() ?? '',
    current: inner.includes('this device</span>'),
    facts: Object.fromEntries([...inner.matchAll(/data-fact="([\w-]+)">([\s\S]*?)<\/dd>/g)].map(([, k = '', v = '']) => [k, v.replace(/<[^>]+>/g, '').trim()])),
  }));
}

function deviceNamed(html: string, name: string): Entry {
  const entry = devicesOn(html).find((d) => d.name === name);
  if (!entry) throw new Error(`no device "${name}" on the page:\n${html.slice(0, 4000)}`);
  return entry;
}

async function open(browser: Browser, path: string, form?: Record<string, string>): Promise<Page> {
  const { res, url, html } = await browser.navigate(path, form ? { form } : {});
  return { status: res.status, url, html };
}

for (const kind of BACKENDS) {
  describe(`remembered devices on the account security page and in the CLI (${kind})`, function () {
    this.timeout(120_000);
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    let secret = '';
    let ahead = 0;
    let userId = '';
    let tenantId = '';
    /** the browser that opens the security page; it is also the remembered "Home laptop" */
    let home: Browser;
    const cookies: Record<string, string> = {};

    const code = async () => {
      ahead += 30_000;
      clock.travel(ahead);
      return totpCodeAt(secret, clock.now());
    };
    const browser = (ua: string, ip: string, device?: string) => {
      const b = new Browser(new URL(config.serverMetadata().issuer).origin);
      b.headers['user-agent'] = ua;
      b.headers['x-forwarded-for'] = ip;
      if (device) b.cookies.set('lk.device', device);
      return b;
    };
    /** a full sign-in with the TOTP code, remembering the device under this name */
    const rememberAs = async (b: Browser, name: string) => {
      const flow = await startFlow(config, f.client, f.user, { browser: b });
      expect(flow.page.html, 'the second factor is asked').to.include('authenticator app');
      const done: Flow = { ...flow, page: await post(b, flow.page, '/mfa', { code: await code(), remember: 'on', deviceName: name }) };
      await finishFlow(config, f.client, done);
      const cookie = b.cookies.get('lk.device');
      expect(cookie, `${name} got a device cookie`).to.match(/^[\w-]{43}$/);
      return cookie!;
    };
    /** a fresh browser holding only this device cookie: true when its sign-in skipped the second factor */
    const skipsSecondFactor = async (ua: string, ip: string, device: string) => {
      const flow = await startFlow(config, f.client, f.user, { browser: browser(ua, ip, device) });
      if (flow.page.html.includes('authenticator app')) return false;
      const { claims } = await finishFlow(config, f.client, flow);
      expect(claims.amr).to.deep.equal(['pwd']);
      return true;
    };
    const securityPage = () => open(home, '/account/security');
    const auditRows = (action: string) =>
      f.server.container.db
        .em()
        .fork()
        .find(AuditEventEntity, { action, userId }, { orderBy: { createdAt: 'asc' } });

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock, env: { TRUST_PROXY: '127.0.0.1/32,::1' } }));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp'] }, devices: { trustDays: 60 } });
      const { container } = f.server;
      tenantId = (await container.tenants.getByName(f.tenant)).id;
      ({ secret, userId } = await enrollTotpDirectly(container, f.tenant, f.user.email, clock.now()));
    });
    after(() => disposeFixture(f));

    it('lists each remembered device with its name, browser, OS, last IP, last use and expiry, and marks this one', async () => {
      home = browser(FIREFOX, '198.51.100.10');
      cookies.home = await rememberAs(home, 'Home laptop');
      cookies.mac = await rememberAs(browser(SAFARI, '203.0.113.7'), 'Work Mac');
      cookies.linux = await rememberAs(browser(CHROME, '192.0.2.44'), 'Build box');

      let page = await securityPage();
      expect(page.html, 'the list waits for the password').not.to.include('data-device=');
      page = await post(home, page, '/account/security/unlock', { password: f.user.password });
      expect(page.status).to.equal(200);
      expect(page.html).to.include('Remembered devices');
      const devices = devicesOn(page.html);
      expect(devices.map((d) => d.name)).to.have.members(['Home laptop', 'Work Mac', 'Build box']);
      const laptop = deviceNamed(page.html, 'Home laptop');
      expect(laptop.facts).to.include({ browser: 'Firefox', os: 'Windows', 'last-ip': '198.51.100.10' });
      expect(deviceNamed(page.html, 'Work Mac').facts).to.include({ browser: 'Safari', os: 'macOS', 'last-ip': '203.0.113.7' });
      expect(deviceNamed(page.html, 'Build box').facts).to.include({ browser: 'Chrome', os: 'Linux', 'last-ip': '192.0.2.44' });
      expect(
        devices.filter((d) => d.current).map((d) => d.name),
        'only the browser showing the page is "this device"',
      ).to.deep.equal(['Home laptop']);
      for (const d of devices) {
        expect(d.facts['last-used']).to.match(READABLE_UTC);
        expect(d.facts.expires).to.match(READABLE_UTC);
      }
      const expires = Date.parse(/data-fact="expires"><time datetime="([^"]+)"/.exec(laptop.html)![1]!);
      expect(expires - clock.now(), 'the tenant trusts devices for 60 days').to.be.closeTo(60 * DAY, DAY);
    });

    it('shows the sooner expiry when the tenant has since shortened its trust period', async () => {
      await setPolicy(f, { devices: { trustDays: 10 } });
      try {
        const laptop = deviceNamed((await securityPage()).html, 'Home laptop');
        const expires = Date.parse(/data-fact="expires"><time datetime="([^"]+)"/.exec(laptop.html)![1]!);
        expect(expires - clock.now()).to.be.closeTo(10 * DAY, DAY);
      } finally {
        await setPolicy(f, { devices: { trustDays: 60 } });
      }
    });

    it('refuses a forget without a valid CSRF token with 403 and forgets nothing', async () => {
      const mac = deviceNamed((await securityPage()).html, 'Work Mac');
      const missing = await home.request('/account/security/devices/revoke', { method: 'POST', form: { device: mac.id } });
      expect(missing.status).to.equal(403);
      const forged = await home.request('/account/security/devices/revoke-all', { form: { csrf: 'A'.repeat(43) } });
      expect(forged.status).to.equal(403);
      expect(devicesOn((await securityPage()).html)).to.have.length(3);
    });

    it("answers a bad id, an unknown id or another user's device with a 404 page, and changes nothing", async () => {
      await createUser(f, { email: 'erin@example.com', password: 'erin has a long passphrase here' });
      const { container } = f.server;
      const erin = (await container.users.findByEmail(tenantId, 'erin@example.com'))!;
      const policy = (await container.tenants.getByName(f.tenant)).policy.devices;
      const erins = await container.devices.remember({ userId: erin.id, tenantId, userAgent: FIREFOX, ip: '198.51.100.99', policy });

      const page = await securityPage();
      const csrf = findForm(page.html, '/devices/revoke').fields.csrf!;
      for (const device of ["'; drop table trusted_devices; --", '', 'x'.repeat(5000), '00000000-0000-4000-8000-000000000000', erins.device.id]) {
        const gone = await open(home, '/account/security/devices/revoke', { csrf, device });
        expect(gone.status, `forget ${device.slice(0, 40)}`).to.equal(404);
        expect(gone.html).to.include('Device not found').and.to.include('Nothing was changed');
        const renamed = await open(home, '/account/security/devices/rename', { csrf, device, name: 'Mine now' });
        expect(renamed.status, `rename ${device.slice(0, 40)}`).to.equal(404);
      }
      expect(
        (await container.devices.list(erin.id)).map((d) => d.name),
        "erin's device is untouched",
      ).to.deep.equal(['Firefox on Windows']);
      expect(devicesOn((await securityPage()).html)).to.have.length(3);
    });

    it('renames a device, and refuses an empty name with a 400 and a message', async () => {
      let page = await securityPage();
      const linux = deviceNamed(page.html, 'Build box');
      page = await post(home, page, '/devices/rename', { device: linux.id, name: '  Kitchen   tablet ' });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Kitchen tablet');
      expect(deviceNamed(page.html, 'Kitchen tablet').id).to.equal(linux.id);
      const empty = await post(home, page, '/devices/rename', { device: linux.id, name: '   ' });
      expect(empty.status).to.equal(400);
      expect(empty.html).to.include('A device name has 1 to 64 characters.');
    });

    it('forgets one device: it asks for the second factor again, the others still skip it; audited as the user', async () => {
      expect(await skipsSecondFactor(SAFARI, '203.0.113.7', cookies.mac!), 'remembered before').to.equal(true);
      let page = await securityPage();
      const mac = deviceNamed(page.html, 'Work Mac');
      const form = findForm(mac.html, '/devices/revoke');
      page = await open(home, form.action, form.fields);
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('“Work Mac” is forgotten');
      expect(devicesOn(page.html).map((d) => d.name)).to.have.members(['Home laptop', 'Kitchen tablet']);
      expect(home.cookies.get('lk.device'), "forgetting another device leaves this browser's cookie").to.equal(cookies.home);

      expect(await skipsSecondFactor(SAFARI, '203.0.113.7', cookies.mac!), 'the forgotten device').to.equal(false);
      expect(await skipsSecondFactor(CHROME, '192.0.2.44', cookies.linux!), 'another device').to.equal(true);
      expect(await skipsSecondFactor(FIREFOX, '198.51.100.10', cookies.home!), 'this device').to.equal(true);

      const rows = await auditRows('device.revoked');
      expect(rows).to.have.length(1);
      expect(rows[0]!).to.include({ actor: `user:${userId}`, tenantId, ip: '198.51.100.10' });
      expect(rows[0]!.details).to.include({ deviceId: mac.id, family: 'Safari', os: 'macOS', current: false, via: 'account-security' });
    });

    it('forgets this device: its cookie is cleared', async () => {
      const extra = browser(FIREFOX, '198.51.100.10');
      cookies.spare = await rememberAs(extra, 'Spare laptop');
      let page = await securityPage();
      const mine = devicesOn(page.html).find((d) => d.current)!;
      expect(mine.name).to.equal('Home laptop');
      const form = findForm(mine.html, '/devices/revoke');
      page = await open(home, form.action, form.fields);
      expect(noticeText(page.html)).to.include('This device (“Home laptop”) is forgotten');
      expect(home.setCookieLines.filter((l) => l.startsWith('lk.device=')).at(-1) ?? '', 'the cookie is expired in the browser').to.match(
        /^lk\.device=;.*expires=Thu, 01 Jan 1970/i,
      );
      expect(home.cookies.has('lk.device')).to.equal(false);
      expect(devicesOn(page.html).some((d) => d.current)).to.equal(false);
      expect(await skipsSecondFactor(FIREFOX, '198.51.100.10', cookies.home!)).to.equal(false);
      expect((await auditRows('device.revoked')).at(-1)!.details).to.include({ current: true });
    });

    it('forgets all devices: every one asks for the second factor again; audited with the count', async () => {
      // this browser is remembered again, so "forget all" includes the current device
      const again = browser(FIREFOX, '198.51.100.10');
      const flow = await startFlow(config, f.client, f.user, { browser: again });
      await finishFlow(config, f.client, {
        ...flow,
        page: await post(again, flow.page, '/mfa', { code: await code(), remember: 'on', deviceName: 'Home laptop' }),
      });
      home.cookies.set('lk.device', again.cookies.get('lk.device')!);
      cookies.home = again.cookies.get('lk.device')!;

      let page = await securityPage();
      expect(devicesOn(page.html).map((d) => d.name)).to.have.members(['Home laptop', 'Kitchen tablet', 'Spare laptop']);
      page = await post(home, page, '/devices/revoke-all');
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('All 3 remembered devices are forgotten');
      expect(devicesOn(page.html)).to.deep.equal([]);
      expect(page.html).to.include('No device is remembered');
      expect(home.cookies.has('lk.device'), 'this browser forgets its cookie').to.equal(false);
      for (const [ua, ip, device] of [
        [FIREFOX, '198.51.100.10', cookies.home],
        [CHROME, '192.0.2.44', cookies.linux],
        [FIREFOX, '198.51.100.10', cookies.spare],
      ] as const) {
        expect(await skipsSecondFactor(ua, ip, device!)).to.equal(false);
      }
      const rows = await auditRows('devices.revoked_all');
      expect(rows.map((r) => [r.actor, r.details?.count])).to.deep.equal([[`user:${userId}`, 3]]);
    });

    it("CLI user revoke-devices forgets all of a user's devices, prints the count and writes the audit event", async () => {
      const office = browser(SAFARI, '203.0.113.7');
      const device = await rememberAs(office, 'Office');
      expect(await skipsSecondFactor(SAFARI, '203.0.113.7', device)).to.equal(true);

      const out = await cli(f.server.env, ['user', 'revoke-devices', '--tenant', f.tenant, '--email', f.user.email]);
      expect(out).to.deep.include({ ok: true, revoked: 1 });
      expect(await skipsSecondFactor(SAFARI, '203.0.113.7', device)).to.equal(false);
      // the CLI runs on the real clock and the server ahead of it: pick the CLI's row by its actor
      const byCli = (await auditRows('devices.revoked_all')).filter((r) => r.actor === 'cli');
      expect(byCli).to.have.length(1);
      expect(byCli[0]).to.include({ tenantId, userId });
      expect(byCli[0]!.details).to.deep.equal({ count: 1 });

      const none = await cli(f.server.env, ['user', 'revoke-devices', '--tenant', f.tenant, '--email', f.user.email]);
      expect(none.revoked, 'nothing left to forget').to.equal(0);
    });

    it('CLI user revoke-devices refuses an unknown user with exit 1 and a missing option with exit 2', async () => {
      const unknown = await runCli(f.server.env, ['user', 'revoke-devices', '--tenant', f.tenant, '--email', 'nobody@example.com']);
      expect(unknown.code).to.equal(1);
      expect(unknown.json).to.include({ ok: false, error: 'user.not_found' });
      expect(unknown.stderr).to.include('No user nobody@example.com');
      const missing = await runCli(f.server.env, ['user', 'revoke-devices', '--tenant', f.tenant]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.include('--email is required');
    });
  });
}
