import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import type { LoginState } from './login-state.ts';
import type { User } from '../accounts/users.ts';
import type { SignInStep } from '../policy/sign-in-steps.ts';

/**
 * What a step of the hosted sign-in hands back to the flow (src/login/flow.ts), which alone
 * decides what comes next: steps never call each other.
 */
export type StepOutcome =
  /** the step answered this request with a page of its own (the same step again, with an error or a notice) */
  | { kind: 'shown' }
  /** the sign-in moved on: the flow stores the state and runs the next step */
  | { kind: 'progress'; state: LoginState }
  /** a first factor was proven (a password, an upstream provider): the flow decides the second factor */
  | { kind: 'identified'; first: FirstFactor };

export interface FirstFactor {
  /** what the sign-in has established: the user, the methods completed, any password change due */
  state: LoginState;
  /** the user's last completed second factor, for the re-check period of remembered devices */
  lastSecondFactorAt?: Date | null;
  /** the application asked for the mfa level on a session that has only a password: no device spares it */
  stepUp?: boolean;
  /** a federated sign-in whose upstream's own second factor the tenant counts */
  upstreamFactor?: boolean;
}

/** where a step that acts is: the sign-in's state, the user read afresh (active, not locked), the step the flow decided */
export interface StepAt {
  state: LoginState;
  user: User;
  step: SignInStep;
}

/** a step's handler of one form: it acts and hands back what happened */
export type StepAction = (deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt) => Promise<StepOutcome>;

export const shown: StepOutcome = { kind: 'shown' };

/**
 * A sign-in refused at a later step because the account was locked or deactivated meanwhile: the
 * login router answers it with the page the password step shows for a locked account.
 */
export class SignInRefused extends Error {
  readonly ic: InteractionContext;
  constructor(ic: InteractionContext) {
    super('The sign-in was refused at a later step');
    this.name = 'SignInRefused';
    this.ic = ic;
  }
}
