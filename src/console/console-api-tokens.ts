import type { AdminScope } from '../admin/scopes.ts';

/** the token service as the console uses it (src/admin/api-tokens.ts implements it; it audits each change) */
export interface ConsoleApiTokens {
  create(
    userId: string,
    input: { name: string; scopes: AdminScope[]; expiresInDays: number },
    actor: string,
  ): Promise<{ token: string; apiToken: ConsoleApiToken }>;
  list(userId: string): Promise<ConsoleApiToken[]>;
  revoke(userId: string, tokenId: string, actor: string): Promise<ConsoleApiToken>;
}

export interface ConsoleApiToken {
  id: string;
  name: string;
  scopes: string[];
  status: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
}
