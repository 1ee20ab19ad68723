import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser } from '../../support/browser.ts';
import { finishFlow, startFlow } from '../../support/two-factor.ts';
import { BACKENDS } from '../../support/backends.ts';

/**
 * Behind a trusted proxy whose own address the allowlist covers, an X-Forwarded-For that holds
 * no readable address must not turn into the proxy's address: the client then has no address,
 * which no allowlist covers, so the second factor the mode asks outside the allowlist is due.
 */
for (const kind of BACKENDS) {
  describe(`IP policy: an unreadable X-Forwarded-For from a trusted proxy (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;

    before(async () => {
      ({ f, config } = await startFixture(kind, { env: { TRUST_PROXY: '127.0.0.1/32,::1' } }));
      const { tenants } = f.server.container;
      const tenant = await tenants.findByName(f.tenant);
      await tenants.updatePolicy(tenant!.id, { mfa: { mode: 'outside-allowlist', factors: ['totp'] }, network: { allowlist: ['127.0.0.0/8', '::1/128'] } });
    });
    after(() => disposeFixture(f));

    const browserSending = (forwardedFor?: string) => {
      const browser = new Browser(new URL(config.serverMetadata().issuer).origin);
      if (forwardedFor !== undefined) browser.headers['x-forwarded-for'] = forwardedFor;
      return browser;
    };

    it('lets the proxy itself (no X-Forwarded-For) in with the password alone: the allowlist covers it', async () => {
      const flow = await startFlow(config, f.client, f.user, { browser: browserSending() });
      const { claims } = await finishFlow(config, f.client, flow);
      expect(claims.amr).to.deep.equal(['pwd']);
    });

    for (const [name, header] of [
      ['a word', 'a'],
      ['an address out of range', '999.1.1.1'],
      ['10 kB of junk', 'x'.repeat(10_240)],
      ['an octal spelling of an allowlisted address', '0177.0.0.1'],
      ['blank entries', ' , '],
    ] as const) {
      it(`asks for the second factor when the header holds ${name}, and audits the address as unreadable`, async () => {
        const started = new Date();
        const flow = await startFlow(config, f.client, f.user, { browser: browserSending(header) });
        expect(flow.page.status).to.equal(200);
        expect(flow.page.html).to.include('Set up two-step verification');
        const tenant = await f.server.container.tenants.findByName(f.tenant);
        const { events } = await f.server.container.audit.list({ tenantId: tenant!.id, action: 'signin.succeeded', from: started, limit: 10 });
        expect(events.map((e) => e.ip)).to.deep.equal(['unreadable']);
      });
    }
  });
}
