import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';

/**
 * The posted forms of our pages (urlencoded, parsed by formBody), read through a zod schema:
 * a field sent twice arrives as a list, `a[b]=c` as an object, and neither is text; values
 * longer than any form of ours sends are refused. Such a form gets 400 `error.form` (a page of
 * its own, or JSON for a script). An empty or missing field is the step's to answer, with its
 * own message: the schemas let those through (`formText(max)` reads a missing field as '').
 */
export function readForm<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const body: unknown = (ctx.request as { body?: unknown }).body ?? {};
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw malformedForm(body, parsed.error);
}

/** the longest email address accepted anywhere (the column width of every stored address) */
export const EMAIL_MAX = 320;
/** the longest password read from a form (no tenant's policy allows a longer one) */
export const PASSWORD_MAX = 1024;
/** the longest one-time code read from a form (a TOTP, a sent code or a recovery code) */
export const CODE_MAX = 64;

/** one text field of at most `max` characters; missing reads as '' */
export const formText = (max: number) => z.string().max(max).default('');

/** one text field of at most `max` characters; missing stays undefined (for steps that tell the two apart) */
export const optionalFormText = (max: number) => z.string().max(max).optional();

function malformedForm(body: unknown, error: z.ZodError): AppError {
  const issues = error.issues.slice(0, 20).map((issue) => {
    const field = issue.path.map(String).join('.');
    return { field, problem: problemOf(valueAt(body, issue.path), issue) };
  });
  const first = issues[0];
  const message = first ? `The form could not be read: ${first.field || 'the form'} ${first.problem}` : 'The form could not be read';
  return new AppError(400, 'error.form', message, { details: { issues } });
}

function problemOf(value: unknown, issue: z.core.$ZodIssue): string {
  if (Array.isArray(value)) return 'was sent more than once';
  if (issue.code === 'too_big' && issue.origin === 'string') return `is longer than ${String(issue.maximum)} characters`;
  if (issue.code === 'too_big') return 'has too many values';
  if (value !== null && typeof value === 'object') return 'is not a single value';
  return 'is not valid';
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
