import { FACTOR_KINDS, FACTOR_TYPES, type FactorType } from './factor-types.ts';

/**
 * What this deployment can deliver. An authenticator app needs nothing from us and email always
 * goes out (SMTP, or the dev outbox); texts and calls need a phone transport (Twilio).
 */
export interface DeploymentDelivery {
  phone: boolean;
}

/** whether this deployment can get a proof of this factor type to the user */
export function canDeliver(type: FactorType, deployment: DeploymentDelivery): boolean {
  return FACTOR_KINDS[type].delivery !== 'phone' || deployment.phone;
}

/**
 * The factor types a user of this tenant may enrol and use on this deployment: those the tenant
 * allows that the deployment can deliver, in FACTOR_TYPES order. Possibly none: then a second
 * factor the tenant requires cannot be had here, and nothing stands in for it. The sign-in and
 * the account console both ask this.
 */
export function deliverableFactors(allowed: readonly FactorType[], deployment: DeploymentDelivery): FactorType[] {
  return FACTOR_TYPES.filter((type) => allowed.includes(type) && canDeliver(type, deployment));
}

/** the factor types the tenant allows that this deployment cannot deliver, in FACTOR_TYPES order */
export function undeliverableFactors(allowed: readonly FactorType[], deployment: DeploymentDelivery): FactorType[] {
  return FACTOR_TYPES.filter((type) => allowed.includes(type) && !canDeliver(type, deployment));
}
