import { readFileSync } from 'node:fs';
import { settingsSchema, settingNames, type Settings } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Settings come from an optional JSON file (LATCHKEY_CONFIG_FILE, keys named like the
 * environment variables) overlaid by the environment. All problems are reported at once.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const fromFile = readConfigFile(env.LATCHKEY_CONFIG_FILE);
  const input: Record<string, unknown> = { ...fromFile };
  for (const name of settingNames) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const unknown = Object.keys(fromFile).filter((k) => !(settingNames as string[]).includes(k));
  const result = settingsSchema.safeParse(input);
  const problems = unknown.map((k) => `${k}: unknown setting in LATCHKEY_CONFIG_FILE`);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  if (problems.length || !result.success) throw new ConfigError(problems);
  return result.data;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`LATCHKEY_CONFIG_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  } catch {
    throw new ConfigError([`LATCHKEY_CONFIG_FILE: ${path} is not a JSON object`]);
  }
}

export function issuerOf(settings: Settings): string {
  return settings.ISSUER ?? `http://localhost:${settings.PORT}`;
}
