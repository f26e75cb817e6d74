import { conditionSchema } from '../declarative/condition';
import { TEMPLATE_NAMES } from '../declarative/templates';
import { RuleModule } from '../rules/rule';
import { CATALOGUE_API_VERSION, DEFAULT_RATING_POLICY, DEFAULT_WAIVER_POLICY, WAIVER_SCOPES } from './model';

/** A CIA rating in either form, as the rating prop and context take it. */
const rating = {
  description: "A CIA rating: 'C3I2A1', or { confidentiality, integrity, availability } each 1..3.",
  // One schema for both forms (no oneOf), so a mistake gets one message, not one per form.
  type: ['string', 'object'],
  format: 'cia-rating',
  additionalProperties: false,
  required: ['confidentiality', 'integrity', 'availability'],
  properties: {
    confidentiality: { type: 'integer', minimum: 1, maximum: 3 },
    integrity: { type: 'integer', minimum: 1, maximum: 3 },
    availability: { type: 'integer', minimum: 1, maximum: 3 },
  },
  examples: ['C3I2A1'],
};

const level = {
  type: 'integer',
  minimum: 1,
  maximum: 3,
  description: 'Minimum level (1 = low, 3 = high) of this dimension at which the control applies.',
};

/**
 * Builds the catalogue's JSON Schema (draft-07) from the rule library, so the `rule` enum and each
 * rule's `params` can never drift from the code. `schema/catalogue.schema.json` is this output,
 * written by `npm run schema` and checked by a test.
 */
export function buildCatalogueSchema(rules: readonly RuleModule[]): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/cdk-catalogue-checks/cdk-catalogue-checks/schema/catalogue.schema.json',
    title: 'cdk-catalogue-checks service catalogue',
    description:
      'An enterprise service catalogue: the controls each AWS service must meet, graded by the workload CIA rating. ' +
      'A catalogue is one file or a directory of files merged in name order; metadata and baseline appear in exactly one of them.',
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion'],
    properties: {
      apiVersion: {
        const: CATALOGUE_API_VERSION,
        description: 'Version of the catalogue format.',
        examples: [CATALOGUE_API_VERSION],
      },
      metadata: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'owner', 'version', 'packName'],
        description: 'Who owns this catalogue and which version it is.',
        properties: {
          name: { type: 'string', minLength: 1, examples: ['Enterprise service catalogue'] },
          owner: { type: 'string', minLength: 1, examples: ['CISO office <ciso@example.com>'] },
          version: { type: 'string', minLength: 1, examples: ['2026.11.0'] },
          packName: {
            type: 'string',
            pattern: '^[A-Za-z][A-Za-z0-9]*$',
            description:
              'Prefix of finding ids (`<packName>-<controlId>`) and the cdk-nag pack name. Letters and digits only.',
            examples: ['Enterprise'],
          },
        },
      },
      baseline: {
        type: 'object',
        additionalProperties: false,
        required: ['minimumScore'],
        description: "The CISO's baseline.",
        properties: {
          minimumScore: {
            type: 'number',
            minimum: 0,
            maximum: 100,
            description: 'Minimum compliance score, in percent.',
            examples: [95],
          },
        },
      },
      extends: {
        type: 'string',
        minLength: 1,
        description:
          "The catalogue this one extends: a path relative to this file ('./base', '../enterprise.yaml'), 'cdk-catalogue-checks' for the shipped catalogue, or an npm package (its package.json's cdkCatalogue, default its catalogue directory). Its controls and sections are inherited; change them under overrides. In at most one file.",
        examples: ['cdk-catalogue-checks'],
      },
      overrides: {
        type: 'array',
        description: 'Changes to controls of the catalogue this one extends, by id.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: {
            id: { type: 'string', description: 'The id of a control of the base catalogue.' },
            disabled: { type: 'boolean', description: 'true: the control is left out of this catalogue.' },
            severity: { enum: ['error', 'warning'] },
            appliesFrom: {
              type: 'object',
              additionalProperties: false,
              properties: { confidentiality: level, integrity: level, availability: level },
            },
            params: {
              type: 'object',
              description: "Merged into the base control's params; checked by its rule.",
            },
            remediation: {
              type: 'object',
              additionalProperties: false,
              properties: { enabled: { type: 'boolean' }, params: { type: 'object' } },
            },
          },
        },
      },
      waivers: {
        type: 'object',
        additionalProperties: false,
        description:
          'What a waiver (an acknowledgement of a finding) must carry to waive it; one that does not is refused with a finding no one can waive. Optional; appears in at most one file.',
        properties: {
          minimumReasonLength: {
            type: 'integer',
            minimum: 0,
            default: DEFAULT_WAIVER_POLICY.minimumReasonLength,
            description: 'Fewest characters of the reason in words (the tags not counted).',
          },
          ticketPattern: {
            type: 'string',
            format: 'regex',
            default: DEFAULT_WAIVER_POLICY.ticketPattern,
            description:
              'The ticket must match this regular expression (RE2 syntax, matched anywhere in the ticket unless anchored).',
            examples: [DEFAULT_WAIVER_POLICY.ticketPattern],
          },
          maximumValidityDays: {
            type: 'integer',
            minimum: 1,
            default: DEFAULT_WAIVER_POLICY.maximumValidityDays,
            description: 'Most days from the day of synthesis to the expiry date of a waiver.',
          },
          widestScope: {
            enum: WAIVER_SCOPES,
            default: DEFAULT_WAIVER_POLICY.widestScope,
            description:
              'The widest construct an acknowledgement may be made on: resource (a construct inside a stack), stack, stage or app. One made higher up is refused.',
          },
          reportOnlyAppliesToUnsuppressible: {
            type: 'boolean',
            default: DEFAULT_WAIVER_POLICY.reportOnlyAppliesToUnsuppressible,
            description:
              'true: the reportOnly prop also turns findings of controls with suppressible: false into warnings (for a rollout). false: they always fail synthesis.',
          },
          file: {
            type: 'string',
            minLength: 1,
            description:
              'The central waivers file the security team owns, relative to this catalogue file: waivers by control and construct-path glob (see schema/central-waivers.schema.json).',
            examples: ['../central-waivers.yaml'],
          },
        },
      },
      rating: {
        type: 'object',
        additionalProperties: false,
        description:
          "How the workload's rating is governed. A rating below what this allows is refused with a finding no one can waive, and the stack is judged at the allowed rating. Optional; appears in at most one file.",
        properties: {
          minimum: { ...rating, description: 'No stack is judged below this rating, in any dimension.' },
          accounts: {
            type: 'object',
            description: 'By account id: no stack that deploys to the account is judged below its rating.',
            propertyNames: { pattern: '^[0-9]{12}$' },
            additionalProperties: rating,
            default: DEFAULT_RATING_POLICY.accounts,
            examples: [{ '111111111111': 'C3I3A3' }],
          },
          perStackRatings: {
            type: 'boolean',
            default: DEFAULT_RATING_POLICY.perStackRatings,
            description:
              'true: a Stage or Stack may be rated (context cdk-catalogue:rating on it) below the App it belongs to. false: that is refused with a finding.',
          },
        },
      },
      controls: {
        type: 'array',
        description: 'The controls of this file.',
        items: { $ref: '#/definitions/control' },
      },
    },
    definitions: {
      ...conditionSchema(),
      control: {
        type: 'object',
        additionalProperties: false,
        // `rule` or `check`: the loader says which is missing, with the control's position.
        required: ['id', 'title', 'severity'],
        properties: {
          id: {
            type: 'string',
            pattern: '^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z0-9]+)*$',
            description: 'Unique control id, e.g. `KMS.1`. Findings are named `<packName>-<id>`.',
            examples: ['KMS.1'],
          },
          title: { type: 'string', minLength: 1, description: 'One line: what the control requires.' },
          description: {
            type: 'string',
            description: 'Why the control exists, for findings and the generated docs.',
          },
          rule: {
            enum: rules.map((r) => r.meta.id),
            description: 'The rule of the library that checks this control.',
          },
          params: { type: 'object', description: "The rule's params; see each rule's documentation." },
          check: {
            type: 'object',
            additionalProperties: false,
            required: ['resourceTypes', 'require'],
            description:
              'A declarative check instead of a library rule: the resource types it reads and the condition their properties must meet.',
            properties: {
              resourceTypes: {
                type: 'array',
                minItems: 1,
                items: { type: 'string', pattern: '^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$' },
                description: 'CloudFormation resource types, e.g. AWS::DynamoDB::Table.',
                examples: [['AWS::DynamoDB::Table']],
              },
              require: { $ref: '#/definitions/condition' },
            },
          },
          severity: {
            enum: ['error', 'warning'],
            description: 'error fails `cdk synth`; warning is reported only.',
          },
          appliesFrom: {
            type: 'object',
            additionalProperties: false,
            description:
              "Minimum CIA levels: the control applies when ANY listed dimension of the workload's rating reaches its minimum. Omit to apply always.",
            properties: { confidentiality: level, integrity: level, availability: level },
            examples: [{ confidentiality: 2 }],
          },
          references: {
            type: 'object',
            additionalProperties: false,
            properties: {
              securityHub: {
                type: 'array',
                items: { type: 'string' },
                description: 'Security Hub control ids.',
              },
              config: {
                type: 'array',
                items: { type: 'string' },
                description: 'AWS Config managed rule identifiers.',
              },
            },
          },
          suppressible: {
            type: 'boolean',
            default: true,
            description: 'false: acknowledgements of this control are refused and its findings always count.',
          },
          remediation: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: {
                type: 'boolean',
                default: true,
                description: 'Whether EnterpriseCatalogueRemediations applies the fix.',
              },
              params: { type: 'object', description: 'Parameters of the fix.' },
              set: {
                type: 'object',
                minProperties: 1,
                propertyNames: { pattern: '^[A-Za-z0-9]+(\\.[A-Za-z0-9]+)*$' },
                description:
                  "A declarative control's fix: CloudFormation property paths (dotted) and the values to set on a non-compliant resource.",
                examples: [{ 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled': true }],
              },
              add: {
                enum: TEMPLATE_NAMES,
                description:
                  "A declarative control's fix that adds what the check looks for in another resource, from a fixed template: " +
                  "tlsOnlyPolicy adds enforceSSL's statement (deny requests without TLS) to the resource policy of an S3 bucket, SQS queue or SNS topic.",
              },
            },
          },
        },
        allOf: rules.map((rule) => ({
          if: { properties: { rule: { const: rule.meta.id } }, required: ['rule'] },
          then: { properties: { params: rule.meta.paramsSchema } },
        })),
      },
    },
  };
}
