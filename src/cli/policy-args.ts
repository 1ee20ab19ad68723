import { readFileSync } from 'node:fs';
import { AppError } from '../lib/errors.ts';
import { POLICY_PRESETS, PRESET_NAMES, isPresetName } from '../policy/presets.ts';
import { tenantPolicySchema, type TenantPolicy } from '../policy/tenant-policy.ts';
import { POLICY_FLAGS, allowedValues, defaultText, mergePolicyLayers, policyFlagOverrides, usageError, type PolicyFlag } from './policy-flags.ts';

/** What `tenant set-policy` was asked for: the three layers and their merge. */
export interface PolicyArgs {
  preset: Record<string, unknown>;
  json: Record<string, unknown>;
  /** `section.field` -> the flag (as typed) that set it */
  setBy: Map<string, string>;
  /** preset, then --policy, then flags; what TenantService.updatePolicy receives */
  overrides: Record<string, unknown>;
}

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

/** a preset by name, or a file shaped like config/presets/NAME.json */
function presetOverrides(value: string): Record<string, unknown> {
  if (isPresetName(value)) return POLICY_PRESETS[value].overrides;
  if (!value.endsWith('.json')) throw usageError(`--preset must be one of ${PRESET_NAMES.join(', ')} or a path to a preset .json file (got "${value}")`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(value, 'utf8'));
  } catch (err) {
    throw usageError(`--preset: cannot read ${value} as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!isObject(parsed) || !isObject(parsed.overrides)) throw usageError(`--preset: ${value} has no "overrides" object`);
  return parsed.overrides;
}

function policyJson(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    /* refused below */
  }
  if (!isObject(parsed)) throw new AppError(400, 'cli.invalid_policy', '--policy must be a JSON object');
  return parsed;
}

/** Reads --preset, --policy and the policy flags; refuses bad values and an empty request. */
export function readPolicyArgs(values: Readonly<Record<string, unknown>>): PolicyArgs {
  const preset = typeof values.preset === 'string' ? presetOverrides(values.preset) : {};
  const json = typeof values.policy === 'string' ? policyJson(values.policy) : {};
  const flags = policyFlagOverrides(values);
  const overrides = mergePolicyLayers(preset, json, flags.overrides);
  if (!Object.keys(overrides).length) throw usageError('tenant set-policy needs --preset, --policy or at least one policy flag (see --help)');
  return { preset, json, setBy: flags.setBy, overrides };
}

/**
 * Refuses overrides that would make the tenant's current policy invalid (a bad value in --policy
 * or a preset file, or settings that do not go together), naming what set the value, so nothing
 * is stored. TenantService.updatePolicy checks again against what is stored at that moment.
 */
export function checkPolicyArgs(current: TenantPolicy, args: PolicyArgs): void {
  const result = tenantPolicySchema.safeParse(mergePolicyLayers(current, args.overrides));
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const [section = '', field = ''] = issue.path.map(String);
  const sets = (layer: Record<string, unknown>) => {
    const s = layer[section];
    return isObject(s) && field in s;
  };
  const flag = args.setBy.get(`${section}.${field}`);
  const where = `policy${issue.path.map((p) => `.${String(p)}`).join('')}`;
  const source = flag ? `--${flag}` : sets(args.json) ? `--policy: ${where}` : sets(args.preset) ? `--preset: ${where}` : where;
  throw new AppError(400, 'cli.invalid_policy', `${source}: ${issue.message}`);
}

/** One line per setting: its path, value and flag. */
export function renderPolicy(policy: TenantPolicy): string {
  const sections = policy as unknown as Record<string, Record<string, unknown>>;
  const rows = POLICY_FLAGS.map((f) => {
    const value = sections[f.section]?.[f.field];
    const shown = value === null ? `default (${f.nullMeans ?? 'none'})` : Array.isArray(value) ? value.join(',') || 'none' : String(value);
    return [`${f.section}.${f.field}`, shown, `--${f.flag}`] as const;
  });
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([setting, value, flag]) => `  ${setting.padEnd(w0)}  ${value.padEnd(w1)}  ${flag}`).join('\n');
}

function flagPlaceholder(flag: PolicyFlag): string {
  const v = flag.value;
  if (v.kind === 'int') return v.nullable ? 'N|default' : 'N';
  if (v.kind === 'list') return 'LIST';
  return allowedValues(flag);
}

/** The usage lines of the policy flags, by section, each with its range or choices and default. */
export function policyFlagUsage(): string {
  const left = (f: PolicyFlag) => `${[f.flag, ...(f.aliases ?? [])].map((n) => `--${n}`).join(', ')} ${flagPlaceholder(f)}`;
  const width = Math.max(...POLICY_FLAGS.map((f) => left(f).length));
  const range = (f: PolicyFlag) =>
    f.value.kind === 'int'
      ? ` (${f.value.min}-${f.value.max})`
      : f.value.kind === 'list' && f.value.choices
        ? ` (any of ${f.value.choices.join(',')})`
        : f.value.kind === 'list' && f.value.range
          ? ` (each ${f.value.range.min}-${f.value.range.max})`
          : '';
  return POLICY_FLAGS.map(
    (f, i) =>
      `${f.section !== POLICY_FLAGS[i - 1]?.section ? `  ${f.section}\n` : ''}` + `    ${left(f).padEnd(width)}  ${f.help}${range(f)} [${defaultText(f)}]`,
  ).join('\n');
}
