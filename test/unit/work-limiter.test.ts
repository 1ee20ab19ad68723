import { expect } from 'chai';
import { createWorkLimiter } from '../../src/lib/work-limiter.ts';
import { AppError } from '../../src/lib/errors.ts';

describe('work limiter', () => {
  it('runs at most `concurrency` jobs at once, queues the next ones and refuses past the queue', async () => {
    const limiter = createWorkLimiter({ concurrency: 2, maxQueue: 3 });
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const job = () =>
      limiter.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running -= 1;
        return 'done';
      });
    const accepted = Array.from({ length: 5 }, job);
    const refused = await job().catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(AppError);
    expect((refused as AppError).status).to.equal(503);
    expect(limiter.active).to.equal(2);
    expect(limiter.queued).to.equal(3);
    while (gates.length || limiter.active) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(accepted)).to.deep.equal(Array(5).fill('done'));
    expect(peak).to.equal(2);
  });

  it('frees its slot when a job throws', async () => {
    const limiter = createWorkLimiter({ concurrency: 1, maxQueue: 0 });
    await limiter
      .run(async () => {
        throw new Error('boom');
      })
      .catch(() => undefined);
    expect(await limiter.run(async () => 42)).to.equal(42);
  });
});
