import { expect } from 'chai';
import { createMetrics } from '../../src/lib/metrics.ts';
import { SECOND_FACTOR_METHODS } from '../../src/policy/factor-types.ts';
import { parseMetrics, metricValue } from '../support/prometheus.ts';

describe('metrics', () => {
  const load = { active: 2, queued: 5 };
  const fresh = () => createMetrics({ argon2: () => load, factorLabels: SECOND_FACTOR_METHODS, defaultMetrics: false });
  const read = async (m: ReturnType<typeof fresh>) => parseMetrics(await m.registry.metrics());

  it('turns audit events into sign-in, second-factor and lock counters', async () => {
    const m = fresh();
    m.securityEvent('signin.failed', { attempt: 1 });
    m.securityEvent('signin.refused_locked');
    m.securityEvent('user.locked', { until: 'x' });
    m.securityEvent('mfa.failed', { factor: 'totp' });
    m.securityEvent('mfa.succeeded', { method: 'recovery' });
    m.securityEvent('mfa.code_sent', { channel: 'sms' });
    m.securityEvent('mfa.failed', { factor: 'carrier-pigeon' });
    const s = await read(m);
    expect(metricValue(s, 'latchkey_signins_total', { result: 'failed' })).to.equal(1);
    expect(metricValue(s, 'latchkey_signins_total', { result: 'locked' })).to.equal(1);
    expect(metricValue(s, 'latchkey_locks_total')).to.equal(1);
    expect(metricValue(s, 'latchkey_second_factor_total', { factor: 'totp', result: 'failed' })).to.equal(1);
    expect(metricValue(s, 'latchkey_second_factor_total', { factor: 'recovery', result: 'succeeded' })).to.equal(1);
    expect(metricValue(s, 'latchkey_second_factor_total', { factor: 'sms', result: 'sent' })).to.equal(1);
    expect(metricValue(s, 'latchkey_second_factor_total', { factor: 'other', result: 'failed' }), 'unknown factors share one label').to.equal(1);
    expect(metricValue(s, 'latchkey_security_events_total')).to.equal(7);
  });

  it('keeps label values to fixed sets whatever a request carries', async () => {
    const m = fresh();
    m.request('/token', 'BREW', 200, 0.01);
    m.request('/token', 'POST', 503, 0.02);
    m.tokenIssued('access_token', 'urn:made-up:grant');
    m.securityEvent("Robert'); DROP TABLE", {});
    const s = await read(m);
    expect(metricValue(s, 'latchkey_http_requests_total', { method: 'other', status_class: '2xx' })).to.equal(1);
    expect(metricValue(s, 'latchkey_http_requests_total', { method: 'POST', status_class: '5xx' })).to.equal(1);
    expect(metricValue(s, 'latchkey_tokens_issued_total', { type: 'access_token', grant: 'other' })).to.equal(1);
    expect(metricValue(s, 'latchkey_security_events_total')).to.equal(0);
  });

  it('reads the argon2 load at each scrape', async () => {
    const m = fresh();
    expect(metricValue(await read(m), 'latchkey_argon2_queue_depth')).to.equal(5);
    load.queued = 0;
    const s = await read(m);
    expect(metricValue(s, 'latchkey_argon2_queue_depth')).to.equal(0);
    expect(metricValue(s, 'latchkey_argon2_in_flight')).to.equal(2);
  });
});
