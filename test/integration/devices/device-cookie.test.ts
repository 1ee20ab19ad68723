import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { DEVICE_COOKIE_NAME, deviceCookieOptions } from '../../../src/http/device-cookie.ts';
import { clientIpMiddleware } from '../../../src/http/client-ip.ts';
import { requireHttps } from '../../../src/http/require-https.ts';

const TOKEN = 'q6rVhWm0cZ3Jk1x0Jc1n8s5bW3jv2Qh1yY4nW9d7eKA';
const TWO_WEEKS = 14 * 86_400;

describe('remembered-device cookie', () => {
  describe('name and options', () => {
    it('has the __Host- prefix and Secure with an https issuer', () => {
      expect(DEVICE_COOKIE_NAME('https://id.example.com')).to.equal('__Host-lk.device');
      expect(DEVICE_COOKIE_NAME('https://id.example.com:8443/tenant')).to.equal('__Host-lk.device');
      expect(deviceCookieOptions('https://id.example.com', TWO_WEEKS)).to.deep.equal({
        httpOnly: true,
        sameSite: 'lax',
        secure: true,
        path: '/',
        maxAge: TWO_WEEKS * 1000,
        signed: false,
        overwrite: true,
      });
    });

    it('is plain lk.device, not Secure, with an http issuer (development)', () => {
      expect(DEVICE_COOKIE_NAME('http://localhost:3000')).to.equal('lk.device');
      expect(deviceCookieOptions('http://localhost:3000', 60)).to.deep.equal({
        httpOnly: true,
        sameSite: 'lax',
        secure: false,
        path: '/',
        maxAge: 60_000,
        signed: false,
        overwrite: true,
      });
    });

    it('refuses a lifetime that is not a whole number of seconds, and an issuer that is not a URL', () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => deviceCookieOptions('https://id.example.com', bad), String(bad)).to.throw(TypeError);
      }
      expect(() => DEVICE_COOKIE_NAME('id.example.com')).to.throw(TypeError);
    });
  });

  describe('set and read through Koa, behind the middleware src/app.ts uses', () => {
    let server: Server;
    let url: string;
    let issuer = 'http://localhost';
    let trustProxy: string[] = [];
    let seen: string | undefined;

    before(async () => {
      const app = new Koa();
      app.proxy = true;
      app.silent = true;
      app.use((ctx, next) => clientIpMiddleware(trustProxy)(ctx, next));
      app.use((ctx, next) => requireHttps(issuer)(ctx, next));
      app.use((ctx) => {
        seen = ctx.cookies.get(DEVICE_COOKIE_NAME(issuer));
        ctx.cookies.set(DEVICE_COOKIE_NAME(issuer), TOKEN, deviceCookieOptions(issuer, TWO_WEEKS));
        ctx.body = 'ok';
      });
      server = createServer(app.callback()).listen(0, '127.0.0.1');
      await once(server, 'listening');
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      seen = undefined;
    });

    const attributes = (header: string) =>
      header
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase());

    it('http issuer: lk.device, HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure, expiring after the trust period', async () => {
      issuer = 'http://localhost';
      trustProxy = [];
      const before = Date.now();
      const res = await fetch(url, { headers: { cookie: `lk.device=${TOKEN}` } });
      expect(res.status).to.equal(200);
      expect(seen, 'read back unsigned').to.equal(TOKEN);
      const [cookie, ...others] = res.headers.getSetCookie();
      expect(others).to.deep.equal([]);
      expect(cookie!.startsWith(`lk.device=${TOKEN};`)).to.equal(true);
      const attrs = attributes(cookie!);
      expect(attrs).to.include.members(['path=/', 'samesite=lax', 'httponly']);
      expect(attrs.some((a) => a === 'secure' || a.startsWith('domain='))).to.equal(false);
      const expires = Date.parse(attrs.find((a) => a.startsWith('expires='))!.slice('expires='.length));
      expect(expires).to.be.within(before + TWO_WEEKS * 1000 - 2000, Date.now() + TWO_WEEKS * 1000 + 1000);
    });

    it('https issuer through a trusted proxy: __Host-lk.device, Secure, Path=/, no Domain', async () => {
      issuer = 'https://id.example.com';
      trustProxy = ['127.0.0.1'];
      const res = await fetch(url, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7', cookie: `__Host-lk.device=${TOKEN}` } });
      expect(res.status).to.equal(200);
      expect(seen).to.equal(TOKEN);
      const [cookie] = res.headers.getSetCookie();
      expect(cookie!.startsWith(`__Host-lk.device=${TOKEN};`)).to.equal(true);
      const attrs = attributes(cookie!);
      expect(attrs).to.include.members(['path=/', 'samesite=lax', 'secure', 'httponly']);
      expect(attrs.some((a) => a.startsWith('domain='))).to.equal(false);
    });

    it('https issuer reached over plain http, or with X-Forwarded-Proto from an untrusted peer: refused before any cookie', async () => {
      issuer = 'https://id.example.com';
      trustProxy = ['10.0.0.0/8'];
      for (const headers of [{}, { 'x-forwarded-proto': 'https' }]) {
        const res = await fetch(url, { headers });
        expect(res.status, JSON.stringify(headers)).to.equal(400);
        expect(res.headers.getSetCookie()).to.deep.equal([]);
      }
    });

    it('without requireHttps in front, Koa would throw on a Secure cookie over plain http (why the order matters)', () => {
      const app = new Koa();
      const ctx = app.createContext(
        Object.assign(Object.create(null), { headers: {}, socket: {}, url: '/', method: 'GET' }),
        Object.assign(Object.create(null), { getHeader: () => undefined, setHeader: () => undefined }),
      );
      expect(() => ctx.cookies.set(DEVICE_COOKIE_NAME('https://id.example.com'), TOKEN, deviceCookieOptions('https://id.example.com', TWO_WEEKS))).to.throw(
        'Cannot send secure cookie over unencrypted connection',
      );
    });
  });
});
