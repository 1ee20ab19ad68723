import { Migration20261121Initial } from './Migration20261121Initial.ts';
import { Migration20261121AccountSettings } from './Migration20261121AccountSettings.ts';
import { Migration20261121Federation } from './Migration20261121Federation.ts';
import { Migration20261122PasswordResetLinks } from './Migration20261122PasswordResetLinks.ts';
import { Migration20261206OneActiveSigningKey } from './Migration20261206OneActiveSigningKey.ts';
import { Migration20261206Passkeys } from './Migration20261206Passkeys.ts';
import { Migration20261206ResetRequired } from './Migration20261206ResetRequired.ts';
import { Migration20261207NotMeLinks } from './Migration20261207NotMeLinks.ts';
import { Migration20261207SentNotices } from './Migration20261207SentNotices.ts';

/** Every PostgreSQL migration, oldest first. New migrations are appended here. */
export const migrationsList = [
  { name: 'Migration20261121Initial', class: Migration20261121Initial },
  { name: 'Migration20261121AccountSettings', class: Migration20261121AccountSettings },
  { name: 'Migration20261121Federation', class: Migration20261121Federation },
  { name: 'Migration20261122PasswordResetLinks', class: Migration20261122PasswordResetLinks },
  { name: 'Migration20261206OneActiveSigningKey', class: Migration20261206OneActiveSigningKey },
  { name: 'Migration20261206Passkeys', class: Migration20261206Passkeys },
  { name: 'Migration20261206ResetRequired', class: Migration20261206ResetRequired },
  { name: 'Migration20261207NotMeLinks', class: Migration20261207NotMeLinks },
  { name: 'Migration20261207SentNotices', class: Migration20261207SentNotices },
];
