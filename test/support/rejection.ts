import { expect } from 'chai';
import { AppError } from '../../src/lib/errors.ts';

/** the AppError `promise` rejects with; fails when it resolves or rejects with anything else */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}
