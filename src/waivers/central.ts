import type { ValidateFunction } from 'ajv';
import { createAjv } from '../catalogue/ajv';
import { CatalogueProblem } from '../catalogue/errors';
import { CATALOGUE_API_VERSION, CentralWaiver } from '../catalogue/model';
import { didYouMean } from '../catalogue/schema-messages';
import {
  labelFor,
  locateValue,
  ParsedFile,
  readYamlMapping,
  schemaProblem,
} from '../catalogue/yaml-positions';
import { globProblem } from './glob';
import { isoDateValue } from './policy';

/**
 * The central waivers file: waivers the security team keeps outside the app, by control and
 * construct-path glob, for constructs whose logical ids CDK may change (its own singleton Lambdas, a
 * shared access-log bucket). Loading checks only what does not depend on the day: the shape, that
 * each control is in the catalogue, each glob, each date. The waiver policy (reason, ticket, expiry)
 * is judged at synth, as for any waiver. No CDK import here.
 */

export const CENTRAL_WAIVERS_KIND = 'CentralWaivers';

/** How messages name a waiver: by its control, `waivers[2] (Lambda.1) expires`. */
const ITEM_NAMES = { waivers: 'control' };

const nonEmptyString = (description: string, examples: readonly string[]) => ({
  type: 'string',
  minLength: 1,
  description,
  examples,
});

/**
 * The central waivers file's JSON Schema (draft-07). `schema/central-waivers.schema.json` is this
 * output, written by `npm run schema` and checked by a test.
 */
export function buildCentralWaiversSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/cdk-catalogue-checks/cdk-catalogue-checks/schema/central-waivers.schema.json',
    title: 'cdk-catalogue-checks central waivers',
    description:
      "Waivers the security team keeps in one file, named by the catalogue's waivers.file: each waives one control's findings " +
      "on every construct whose path, or an ancestor's, matches a glob. Each must meet the waiver policy on the day of synthesis.",
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'waivers'],
    properties: {
      apiVersion: {
        const: CATALOGUE_API_VERSION,
        description: 'Version of the file format.',
        examples: [CATALOGUE_API_VERSION],
      },
      kind: { const: CENTRAL_WAIVERS_KIND, examples: [CENTRAL_WAIVERS_KIND] },
      waivers: { type: 'array', description: 'The waivers.', items: { $ref: '#/definitions/waiver' } },
    },
    definitions: {
      waiver: {
        type: 'object',
        additionalProperties: false,
        required: ['control', 'path', 'reason', 'ticket', 'expires'],
        properties: {
          control: nonEmptyString('The id of a control of the catalogue.', ['Lambda.1']),
          path: nonEmptyString(
            "A construct-path glob that begins with a stack's path, written out. `*` is any text within a segment, " +
              '`?` one character but `/`, a `**` segment any number of segments; every other character is itself. ' +
              'It also covers everything under a construct it matches.',
            ['Pipeline/Prod/AppStack/**/Custom::S3AutoDeleteObjectsCustomResourceProvider'],
          ),
          reason: nonEmptyString('Why the findings may stand, in words.', [
            "CDK's own singleton handler, no data",
          ]),
          ticket: nonEmptyString(
            "The ticket that records the decision; it must match the catalogue's ticketPattern.",
            ['SEC-1234'],
          ),
          approvedBy: nonEmptyString('Who approved the waiver.', ['jane.doe']),
          expires: {
            type: 'string',
            format: 'date',
            description: 'The last day (UTC) the waiver holds, YYYY-MM-DD.',
            examples: ['2027-03-31'],
          },
        },
      },
    },
  };
}

let validator: ValidateFunction | undefined;

function centralWaiversValidator(): ValidateFunction {
  if (!validator) {
    const ajv = createAjv();
    ajv.addFormat('date', (value: string) => isoDateValue(value) !== undefined);
    validator = ajv.compile(buildCentralWaiversSchema());
  }
  return validator;
}

function isWaiverEntry(value: unknown): value is Omit<CentralWaiver, 'source'> {
  const entry = value as Record<string, unknown> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    ['control', 'path', 'reason', 'ticket', 'expires'].every((key) => typeof entry[key] === 'string') &&
    ['undefined', 'string'].includes(typeof entry.approvedBy)
  );
}

/** What is wrong with one well-typed entry beyond the schema: its control and its glob. */
function entryProblems(
  parsed: ParsedFile,
  index: number,
  entry: Omit<CentralWaiver, 'source'>,
  controlIds: readonly string[],
): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  if (entry.control !== '' && !controlIds.includes(entry.control)) {
    const hint = didYouMean(entry.control, controlIds);
    problems.push({
      ...locateValue(parsed, ['waivers', index, 'control']),
      message:
        `waivers[${index}] control '${entry.control}' is not a control of the catalogue` +
        (hint || `; its controls are: ${controlIds.join(', ')}`),
    });
  }
  const glob = entry.path === '' ? undefined : globProblem(entry.path);
  if (glob !== undefined) {
    const label = labelFor(parsed.data, ['waivers', index, 'path'], ITEM_NAMES);
    problems.push({
      ...locateValue(parsed, ['waivers', index, 'path']),
      message: `${label} '${entry.path}' is not a valid construct-path glob: ${glob}`,
    });
  }
  return problems;
}

/**
 * Reads the central waivers file against the catalogue's control ids. Adds every problem (file, line,
 * column, message) to `problems` and returns the entries that have none, in file order, each with
 * the position of its list item.
 */
export function readCentralWaivers(
  file: string,
  controlIds: readonly string[],
  problems: CatalogueProblem[],
): CentralWaiver[] {
  const parsed = readYamlMapping(
    file,
    problems,
    `a central waivers file must be a mapping with apiVersion, kind (${CENTRAL_WAIVERS_KIND}) and waivers`,
  );
  if (!parsed) return [];
  const validate = centralWaiversValidator();
  const schemaErrors = validate(parsed.data) ? [] : (validate.errors ?? []);
  problems.push(...schemaErrors.map((e) => schemaProblem(parsed, e, ITEM_NAMES)));
  const entries = Array.isArray(parsed.data.waivers) ? (parsed.data.waivers as unknown[]) : [];
  const waivers: CentralWaiver[] = [];
  entries.forEach((entry, index) => {
    if (!isWaiverEntry(entry)) return;
    const found = entryProblems(parsed, index, entry, controlIds);
    problems.push(...found);
    const where = `/waivers/${index}`;
    const schemaError = schemaErrors.some(
      (e) => e.instancePath === where || e.instancePath.startsWith(`${where}/`),
    );
    if (found.length === 0 && !schemaError) {
      const { control, path, reason, ticket, expires, approvedBy } = entry;
      waivers.push({
        control,
        path,
        reason,
        ticket,
        expires,
        ...(approvedBy !== undefined && { approvedBy }),
        source: locateValue(parsed, ['waivers', index]),
      });
    }
  });
  return waivers;
}
