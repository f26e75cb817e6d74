import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { patternProblem } from '../rules/pattern';

/**
 * Turns ajv's errors into plain sentences. Written here rather than taken from a library
 * (better-ajv-errors, ajv-errors) because those point into JSON text, and we need the YAML
 * positions and a did-you-mean from the schema's own names.
 */

/** ` (did you mean 'x'?)` when one of the candidates is close enough to be what a typo meant; else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, candidates as string[]);
  return distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3))
    ? ` (did you mean '${best}'?)`
    : '';
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  // Only a `%YAML 1.1` file reads an unquoted date as a timestamp; quoting it keeps it text.
  if (value instanceof Date) return 'a YAML 1.1 timestamp (quote it)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${show(value)}`;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
};

/** The message for one ajv error; `label` names the value in words, e.g. `controls[1] (S3.1) severity`. */
export function describeSchemaError(error: ErrorObject, label: string, value: unknown): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const hint = didYouMean(key, allowed);
      const where = label ? ` in ${label}` : '';
      return `unknown key '${key}'${where}${hint || (allowed.length > 0 ? `; allowed keys: ${allowed.join(', ')}` : '')}`;
    }
    case 'required':
      return `${label || 'the file'} is missing the required key '${String(p.missingProperty)}'`;
    case 'type':
      return `${label} must be ${ARTICLE[String(p.type)] ?? String(p.type)}, not ${typeOf(value)}`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      if (label.endsWith(' rule')) {
        return `unknown rule ${show(value)}${didYouMean(String(value), allowed)}; the rules are: ${allowed.join(', ')}`;
      }
      return `${label} must be one of ${allowed.join(', ')}, not ${show(value)}${didYouMean(String(value), allowed)}`;
    }
    case 'const':
      return `${label} must be ${show(p.allowedValue)}, not ${show(value)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${label} must be ${String(p.comparison)} ${String(p.limit)}, not ${show(value)}`;
    case 'minLength':
      return `${label} must not be empty`;
    case 'minItems':
      return `${label} must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'pattern':
      return `${label} ${show(value)} does not match the pattern ${String(p.pattern)}`;
    case 'format':
      if (p.format === 'regex') {
        return `${label} ${show(value)} is not a valid regular expression (RE2 syntax): ${patternProblem(String(value))}`;
      }
      if (p.format === 'cia-rating')
        return `${label} ${show(value)} is not a CIA rating: write it as 'C<1-3>I<1-3>A<1-3>', e.g. 'C3I2A1'`;
      if (p.format === 'date') return `${label} ${show(value)} is not a calendar date (YYYY-MM-DD)`;
      return `${label} must be a valid ${String(p.format)}`;
    case 'uniqueItems':
      return `${label} lists the same item twice`;
    default:
      return `${label} ${error.message ?? 'is not valid'}`;
  }
}
