import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { redactPath, redactQuery, redactSql } from '../../src/lib/redact.ts';

describe('redaction of what leaves the process (logs, traces)', () => {
  it('replaces token and id segments of a path, and keeps route words', () => {
    const token = randomBytes(32).toString('base64url');
    expect(redactPath(`/password/reset/${token}`)).to.equal('/password/reset/:id');
    expect(redactPath('/interaction/Xk3_pQ9aLm2ZtR8vWn4bC/login')).to.equal('/interaction/:id/login');
    expect(redactPath('/invitation/abcdefghijklmnopqrstuvwxyzabcdefghij')).to.equal('/invitation/:id');
    expect(redactPath('/.well-known/openid-configuration')).to.equal('/.well-known/openid-configuration');
    expect(redactPath('/admin/v1/tenants/acme/users')).to.equal('/admin/v1/tenants/acme/users');
  });

  it('keeps the names of query parameters, never their values', () => {
    expect(redactQuery('client_id=app&login_hint=a%40b.example&state=xyz&flag')).to.equal(
      'client_id=REDACTED&login_hint=REDACTED&state=REDACTED&flag=REDACTED',
    );
  });

  it('removes every string literal from SQL, quotes and backslashes included', () => {
    const sql = `insert into "users" ("email", "hash") values ('o''brien@example.com', E'a\\\\b''c') returning "id"`;
    expect(redactSql(sql)).to.equal('insert into "users" ("email", "hash") values (?, E?) returning "id"');
    expect(redactSql(`select 1 where "a" = 'secret`)).to.equal('select 1 where "a" = …');
    expect(redactSql('select "id" from "users" where "n" = 3')).to.equal('select "id" from "users" where "n" = 3');
  });
});
