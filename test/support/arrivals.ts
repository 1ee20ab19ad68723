/**
 * Something test servers receive (mails, SMS, calls): `waitFor` resolves with the first item
 * `find` returns, checking again each time `arrived()` is called, and fails after 10 s.
 */
export function createArrivals() {
  const waiters = new Set<() => void>();
  return {
    arrived(): void {
      for (const wake of waiters) wake();
    },
    waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found === undefined) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${what} did not arrive within 10 s`));
        }, 10_000);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
