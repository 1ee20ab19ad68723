import { expect } from 'chai';
import { checkWebhookUrl } from '../../../src/admin/webhooks/webhook-url.ts';
import { isPublicAddress } from '../../../src/lib/outbound-guard.ts';
import { createWebhookSender } from '../../../src/admin/webhooks/sender.ts';
import { AppError } from '../../../src/lib/errors.ts';
import { startReceiver, type Receiver } from './webhook-receiver.ts';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.an.instanceOf(AppError);
    return (err as AppError).code;
  }
  return 'accepted';
};

describe('audit webhooks: outbound requests stay off private networks unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set', () => {
  const strict = { allowPrivate: false, requireHttps: false };

  it('tells public addresses from loopback, private, link-local, CGNAT, unique-local and mapped ones', () => {
    for (const a of ['93.184.215.14', '2606:4700::6810:84e5', '8.8.8.8']) expect(isPublicAddress(a), a).to.equal(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fc00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not an ip',
    ]) {
      expect(isPublicAddress(a), a).to.equal(false);
    }
  });

  it('refuses literal private targets and localhost when stored, and accepts them with the setting', () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://[::1]/x',
      'https://10.0.0.5/x',
      'http://169.254.169.254/latest/meta-data',
      'http://localhost/x',
      'http://api.localhost/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      expect(
        refusal(() => checkWebhookUrl(url, strict)),
        url,
      ).to.equal('webhook.private_address');
      expect(
        refusal(() => checkWebhookUrl(url, { allowPrivate: true, requireHttps: false })),
        url,
      ).to.equal('accepted');
    }
    expect(checkWebhookUrl('https://hooks.example.test/latchkey?x=1', strict)).to.equal('https://hooks.example.test/latchkey?x=1');
    expect(refusal(() => checkWebhookUrl('https://93.184.215.14/x', strict))).to.equal('accepted');
  });

  it('asks for https in production', () => {
    expect(refusal(() => checkWebhookUrl('http://hooks.example.test/x', { allowPrivate: false, requireHttps: true }))).to.equal('webhook.invalid_url');
    expect(refusal(() => checkWebhookUrl('https://hooks.example.test/x', { allowPrivate: false, requireHttps: true }))).to.equal('accepted');
  });

  describe('at send time', () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
    });
    after(() => receiver.close());
    const request = (url: string) => ({ url, body: '{"id":"x"}', headers: { 'Latchkey-Signature': 't=1,v1=00' } });

    it('refuses a loopback address, literal or by name, without connecting', async () => {
      const send = createWebhookSender({ allowPrivate: false, timeoutMs: 2000, userAgent: 'test' });
      const port = new URL(receiver.url).port;
      expect(await send(request(`http://127.0.0.1:${port}/literal`))).to.deep.equal({ error: 'refused: private or reserved address' });
      expect(await send(request(`http://localhost:${port}/by-name`))).to.deep.equal({ error: 'refused: private or reserved address' });
      expect(receiver.take()).to.deep.equal([]);
    });

    it('sends to them with the setting, and reports a closed port or a slow answer as a failed attempt', async () => {
      const send = createWebhookSender({ allowPrivate: true, timeoutMs: 300, userAgent: 'test' });
      expect(await send(request(`${receiver.url}/ok`))).to.deep.equal({ status: 200 });
      expect(receiver.take().map((r) => [r.path, r.body])).to.deep.equal([['/ok', '{"id":"x"}']]);
      receiver.answer(307);
      expect(await send(request(`${receiver.url}/moved`)), 'redirects are not followed').to.deep.equal({ status: 307 });
      receiver.take();
      expect(await send(request('http://127.0.0.1:9/closed'))).to.deep.equal({ error: 'request failed: ECONNREFUSED' });
      receiver.delayMs = 1000;
      try {
        expect(await send(request(`${receiver.url}/slow`))).to.deep.equal({ error: 'request failed: ETIMEDOUT' });
      } finally {
        receiver.delayMs = 0;
      }
    });
  });
});
