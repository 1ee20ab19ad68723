type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * Only what differs between two versions of a record, for the audit trail's before/after:
 * nested objects are compared member by member, anything else as a whole.
 */
export function changes(before: Plain, after: Plain): { before: Plain; after: Plain } | undefined {
  const was: Plain = {};
  const now: Plain = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (isPlain(a) && isPlain(b)) {
      const inner = changes(a, b);
      if (inner) {
        was[key] = inner.before;
        now[key] = inner.after;
      }
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      was[key] = a ?? null;
      now[key] = b ?? null;
    }
  }
  return Object.keys(now).length ? { before: was, after: now } : undefined;
}
