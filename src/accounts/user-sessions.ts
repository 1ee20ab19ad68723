import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { DeviceService } from './devices.ts';

/**
 * Ends every trust a user's password stood for: sign-in sessions, grants (and so every access
 * and refresh token issued under them) and remembered devices. Used on password change, reset,
 * admin-forced reset and deactivation.
 */
export interface UserSessions {
  endAll(userId: string, options?: { keepSessionId?: string }): Promise<{ sessions: number; grants: number; devices: number }>;
}

export function createUserSessions(kv: OidcKvStore, devices: Pick<DeviceService, 'revokeAll'>): UserSessions {
  return {
    async endAll(userId, options = {}) {
      let sessions = 0;
      let grants = 0;
      for (const entry of await kv.accountEntries(userId)) {
        if (entry.model === 'Session' && entry.id !== options.keepSessionId) {
          await kv.model('Session').destroy(entry.id);
          sessions += 1;
        } else if (entry.model === 'Grant') {
          await kv.model('Grant').revokeByGrantId(entry.id);
          grants += 1;
        }
      }
      return { sessions, grants, devices: await devices.revokeAll(userId) };
    },
  };
}
