import { TenantEntity } from './tenant.ts';
import { UserEntity } from './user.ts';
import { PasswordCredentialEntity } from './password-credential.ts';
import { ClientEntity } from './client.ts';
import { SigningKeyEntity } from './signing-key.ts';

export { TenantEntity, UserEntity, PasswordCredentialEntity, ClientEntity, SigningKeyEntity };
export const allEntities = [TenantEntity, UserEntity, PasswordCredentialEntity, ClientEntity, SigningKeyEntity];
