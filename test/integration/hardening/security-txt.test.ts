import { expect } from 'chai';
import { createBackend, type Backend } from '../../support/backends.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

describe('security contact: /.well-known/security.txt (RFC 9116) and /security', () => {
  let backend: Backend;
  let server: TestServer;
  let plain: TestServer;

  before(async () => {
    backend = await createBackend('embedded');
    server = await startTestServer(backend, {
      env: { SECURITY_CONTACT: 'mailto:psirt@example.com', SECURITY_POLICY_URL: 'https://example.com/disclosure', SECURITY_TXT_DAYS: '90' },
    });
  });
  after(async () => {
    await server?.stop();
    await plain?.stop();
    await backend?.dispose();
  });

  it('serves security.txt with Contact, a future Expires under a year, Policy and Canonical', async () => {
    const res = await fetch(`${server.url}/.well-known/security.txt`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await res.text();
    expect(text).to.include('Contact: mailto:psirt@example.com\n');
    expect(text).to.include('Policy: https://example.com/disclosure\n');
    expect(text).to.include(`Canonical: ${server.url}/.well-known/security.txt\n`);
    const expires = Date.parse(/^Expires: (\S+)$/m.exec(text)![1]!);
    expect(expires - Date.now()).to.be.within(89 * 86_400_000, 91 * 86_400_000);
  });

  it('links a report page from the sign-in footer, naming the contact', async () => {
    const page = await (await fetch(`${server.url}/security`)).text();
    expect(page).to.include('Report a vulnerability').and.to.include('href="mailto:psirt@example.com"');
    const notFound = await (await fetch(`${server.url}/no-such-page`)).text();
    expect(notFound).to.include('href="/security"');
  });

  it('falls back to security@ the issuer host, and refuses a bad contact setting', async () => {
    plain = await startTestServer(backend, { env: {} });
    const text = await (await fetch(`${plain.url}/.well-known/security.txt`)).text();
    expect(text).to.include('Contact: mailto:security@127.0.0.1\n');
    let error: unknown;
    try {
      await startTestServer(backend, { env: { SECURITY_CONTACT: 'psirt@example.com' } });
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/SECURITY_CONTACT/);
  });

  it('leaves the OpenID discovery document to the provider', async () => {
    const res = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { issuer: string }).issuer).to.equal(server.url);
  });
});
