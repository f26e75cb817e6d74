import * as fs from 'fs';
import * as path from 'path';
import { ruleOf } from '../rules';
import { CatalogueProblem } from './errors';
import { Control, SourceLocation } from './model';
import { withParamDefaults } from './params';
import { didYouMean } from './schema-messages';
import { locateValue, ParsedFile } from './yaml-positions';

/**
 * A catalogue that extends another (a business unit's overlay on the enterprise's base): it inherits
 * the base's controls and sections, changes controls by id under `overrides`, and adds its own.
 * Every setting an overlay changes records the file and line it came from (`Control.origins`).
 */

/** The name that stands for the catalogue shipped in this package. */
export const SHIPPED_CATALOGUE = 'cdk-catalogue-checks';

/** What an overlay may change on a base control. */
export interface RawOverride {
  id: string;
  disabled?: boolean;
  severity?: Control['severity'];
  appliesFrom?: Control['appliesFrom'];
  params?: Record<string, unknown>;
  remediation?: { enabled?: boolean; params?: Record<string, unknown> };
}

const OVERRIDABLE = ['severity', 'appliesFrom', 'params', 'remediation'] as const;

/**
 * The base catalogue's path: relative to the declaring file's directory (`./base`, `../base.yaml`),
 * absolute, the shipped catalogue (`cdk-catalogue-checks`), or an npm package whose `package.json`
 * names its catalogue under `cdkCatalogue` (default: its `catalogue` directory).
 */
export function resolveExtends(
  reference: string,
  declaredIn: string,
  shippedPath: string,
): { path: string } | { problem: string } {
  const from = path.dirname(declaredIn);
  if (reference === SHIPPED_CATALOGUE) return { path: shippedPath };
  if (reference.startsWith('.') || path.isAbsolute(reference)) {
    const resolved = path.resolve(from, reference);
    return fs.existsSync(resolved)
      ? { path: resolved }
      : { problem: `extends names ${resolved}: no such file or directory` };
  }
  try {
    const manifest = require.resolve(`${reference}/package.json`, { paths: [from] });
    const declared = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { cdkCatalogue?: unknown })
      .cdkCatalogue;
    return { path: path.join(path.dirname(manifest), typeof declared === 'string' ? declared : 'catalogue') };
  } catch {
    return {
      problem: `extends names '${reference}', which is neither a path (start it with ./ or /) nor an installed package`,
    };
  }
}

/**
 * The base's controls with the overlay's overrides applied, and the overlay's problems: an id the
 * base does not have (with a did-you-mean), params the control's rule does not accept, and params on a
 * declarative control.
 */
export function applyOverrides(
  base: readonly Control[],
  file: ParsedFile,
  problems: CatalogueProblem[],
): Control[] {
  const overrides = Array.isArray(file.data.overrides) ? (file.data.overrides as unknown[]) : [];
  const byId = new Map(base.map((control) => [control.id, control]));
  const disabled = new Set<string>();
  overrides.forEach((entry, index) => {
    if (!isOverride(entry)) return;
    const at = (...keys: string[]) => locateValue(file, ['overrides', index, ...keys]);
    const control = byId.get(entry.id);
    if (!control) {
      problems.push({
        ...at('id'),
        message: `overrides[${index}] names '${entry.id}', which is no control of the catalogue it extends${didYouMean(entry.id, [...byId.keys()])}`,
      });
      return;
    }
    if (entry.disabled) disabled.add(entry.id);
    const changed = overridden(control, entry, at, problems);
    if (changed) byId.set(entry.id, changed);
  });
  return [...byId.values()].filter((control) => !disabled.has(control.id));
}

function overridden(
  control: Control,
  entry: RawOverride,
  at: (...keys: string[]) => SourceLocation,
  problems: CatalogueProblem[],
): Control | undefined {
  const origins: Record<string, SourceLocation> = { ...control.origins };
  for (const key of [...OVERRIDABLE, 'disabled'] as const)
    if (entry[key] !== undefined) origins[key] = at(key);
  const params =
    entry.params === undefined ? control.params : paramsOf(control, entry.params, at('params'), problems);
  if (params === undefined) return undefined;
  return {
    ...control,
    ...(entry.severity !== undefined && { severity: entry.severity }),
    ...(entry.appliesFrom !== undefined && { appliesFrom: entry.appliesFrom }),
    params,
    ...(entry.remediation !== undefined && {
      remediation: {
        ...control.remediation,
        ...entry.remediation,
        params: { ...control.remediation.params, ...entry.remediation.params },
      },
    }),
    origins,
  };
}

/** The base's params with the overlay's on top, checked (and defaults filled in) by the control's rule. */
function paramsOf(
  control: Control,
  params: Record<string, unknown>,
  at: SourceLocation,
  problems: CatalogueProblem[],
): Record<string, unknown> | undefined {
  const rule = ruleOf(control);
  if (control.check || !rule) {
    problems.push({ ...at, message: `${control.id} is a declarative control: it has no params to override` });
    return undefined;
  }
  try {
    return withParamDefaults(rule, { ...control.params, ...params });
  } catch (e) {
    problems.push({ ...at, message: `${control.id}: ${(e as Error).message}` });
    return undefined;
  }
}

function isOverride(value: unknown): value is RawOverride {
  return typeof value === 'object' && value !== null && typeof (value as RawOverride).id === 'string';
}
