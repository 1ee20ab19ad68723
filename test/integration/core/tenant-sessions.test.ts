import { expect } from 'chai';
import * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { createClient, createTenant, createUser } from '../../support/accounts.ts';
import { discover } from '../../support/relying-party.ts';
import { finishFlow, post, startFlow } from '../../support/two-factor.ts';
import { BACKENDS } from '../../support/backends.ts';

for (const kind of BACKENDS) {
  describe(`a session serves only its own tenant's applications (${kind})`, () => {
    let f: Fixture;
    let configA: oidc.Configuration;
    let configB: oidc.Configuration;
    let clientB: { clientId: string; clientSecret: string; redirectUri: string };
    const bob = { email: 'bob@other.example', password: 'bob belongs to the other tenant' };

    before(async () => {
      ({ f, config: configA } = await startFixture(kind));
      const tenant = `${f.tenant}-b`;
      await createTenant(f, { name: tenant });
      await createUser(f, { tenant, ...bob });
      const created = await createClient(f, { tenant, name: 'B app', redirectUris: [f.client.redirectUri] });
      clientB = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: f.client.redirectUri };
      configB = await discover(f.server.url, clientB);
    });
    after(() => disposeFixture(f));

    it("asks a browser signed in at tenant A to sign in again for tenant B's application, and refuses A's user there", async () => {
      const atA = await startFlow(configA, f.client, f.user);
      const alice = (await finishFlow(configA, f.client, atA)).claims.sub;

      const atB = await startFlow(configB, clientB, undefined, { browser: atA.browser });
      expect(atB.page.html, 'no code for B from a session of A').to.include('autocomplete="current-password"');
      const refused = await post(atB.browser, atB.page, '/login', f.user);
      expect(refused.status).to.equal(401);
      // another account in this browser: oidc-provider first ends A's session with a self-submitting
      // form (its inline script is allowed by a hash it adds to our CSP); a browser posts it at once
      const switching = await post(atB.browser, refused, '/login', bob);
      expect(switching.html).to.include('/session/end/confirm');
      const signedIn = await post(atB.browser, switching, '/session/end/confirm');
      const { claims, tokens } = await finishFlow(configB, clientB, atB, signedIn);
      expect(claims.sub).not.to.equal(alice);
      const info = await oidc.fetchUserInfo(configB, tokens.access_token, claims.sub);
      expect(info.email).to.equal(bob.email);
    });
  });
}
