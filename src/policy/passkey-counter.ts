/**
 * A passkey's signature counter (WebAuthn §6.1.1). An authenticator that keeps one reports a
 * larger value on every use; one that keeps none (synced passkeys) always reports 0. A counter
 * that stands still or goes back means two copies of the key exist: a cloned authenticator.
 */
export function passkeyCounterMoved(stored: number, reported: number): boolean {
  if (stored === 0 && reported === 0) return true;
  return reported > stored;
}
