import { settingsSchema, settingNames } from './schema.ts';

/** The settings table of docs/configuration.md, generated from the schema (a test compares). */
export function settingsTable(): string {
  const defaults = settingsSchema.parse({}) as Record<string, unknown>;
  const rows = settingNames.map((name) => {
    const value = defaults[name];
    const shown = value === undefined || (Array.isArray(value) && value.length === 0) ? '—' : `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
    const description = settingsSchema.shape[name].description ?? '';
    return `| \`${name}\` | ${shown} | ${description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Setting | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.main) process.stdout.write(`${settingsTable()}\n`);
