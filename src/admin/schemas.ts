import { z } from 'zod';

/** the body of every refusal */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('stable, such as request.invalid or user.not_found'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().describe('for request.invalid: issues, each with in (path|query|body), path, code and message'),
    }),
  })
  .meta({ id: 'Error' });

export const timestamp = z.iso.datetime({ offset: true });
export const limitParam = z.coerce.number().int().min(1).max(100).default(50).describe('page size, at most 100');
export const cursorParam = z.string().min(1).max(400).optional().describe('nextCursor of the previous page');
export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);
