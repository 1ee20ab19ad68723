import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { Browser } from '../../support/browser.ts';
import { finishFlow, startFlow } from '../../support/two-factor.ts';
import { BACKENDS } from '../../support/backends.ts';

const OFFICE = '203.0.113.0/24';

/** a browser whose requests carry X-Forwarded-For, as a proxy (or an attacker) would send it */
function browserFrom(config: oidc.Configuration, forwardedFor: string): Browser {
  const browser = new Browser(new URL(config.serverMetadata().issuer).origin);
  browser.headers['x-forwarded-for'] = forwardedFor;
  return browser;
}

for (const kind of BACKENDS) {
  for (const proxied of [false, true]) {
    describe(`IP policy, ${proxied ? 'behind a trusted proxy' : 'without TRUST_PROXY'} (${kind})`, function () {
      this.timeout(60_000);
      let f: Fixture;
      let config: oidc.Configuration;

      before(async () => {
        ({ f, config } = await startFixture(kind, proxied ? { env: { TRUST_PROXY: '127.0.0.1/32,::1' } } : {}));
        await setPolicy(f, { mfa: { mode: 'outside-allowlist', factors: ['totp'] }, network: { allowlist: [OFFICE] } });
      });
      after(() => disposeFixture(f));

      if (proxied) {
        it('believes the proxy: an allowlisted client address signs in with the password alone', async () => {
          const flow = await startFlow(config, f.client, f.user, { browser: browserFrom(config, '203.0.113.7') });
          const { claims } = await finishFlow(config, f.client, flow);
          expect(claims.amr).to.deep.equal(['pwd']);
        });
      } else {
        it('ignores a forged X-Forwarded-For: the real address is outside, so a second factor is required', async () => {
          const flow = await startFlow(config, f.client, f.user, { browser: browserFrom(config, '203.0.113.7') });
          expect(flow.page.html).to.include('Set up two-step verification');
        });
      }

      it('requires the second factor for an address outside the allowlist', async () => {
        const flow = await startFlow(config, f.client, f.user, { browser: browserFrom(config, '198.51.100.9') });
        expect(flow.page.html).to.include('Set up two-step verification');
      });

      it('in strict mode, denies sign-in from outside the allowlist with a clear page, even with the right password', async () => {
        await setPolicy(f, { network: { allowlist: [OFFICE], strict: true } });
        try {
          const outside = await startFlow(config, f.client, f.user, { browser: browserFrom(config, '198.51.100.9') });
          expect(outside.page.status).to.equal(403);
          expect(outside.page.html).to.include('Sign-in is not allowed from this network');
          const inside = await startFlow(config, f.client, f.user, { browser: browserFrom(config, '203.0.113.7') });
          // behind the proxy the header is believed and the address is inside; without TRUST_PROXY it is forged and ignored
          const outcome = proxied ? (await finishFlow(config, f.client, inside)).claims.amr : inside.page.status;
          expect(outcome).to.deep.equal(proxied ? ['pwd'] : 403);
        } finally {
          await setPolicy(f, { network: { strict: false } });
        }
      });
    });
  }
}
