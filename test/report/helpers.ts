import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Catalogue, Control } from '../../src/catalogue/model';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { evaluate, Evaluation, EvaluationStatus, Waiver } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import {
  BuildReportInput,
  buildReport,
  CatalogueReport,
  computeScore,
  EvaluationRecord,
  ReportControl,
} from '../../src/report';
import { templateLineOf } from '../../src/assembly';
import { ruleOf } from '../../src/rules';
import { loadCatalogue } from '../../src/catalogue/load';

/** An evaluation record made by hand: a key-rotation check on `Stack/<logicalId>`. */
export function record(
  controlId: string,
  status: EvaluationStatus,
  more: Partial<EvaluationRecord> = {},
): EvaluationRecord {
  return {
    stackId: 'Stack',
    logicalId: 'Key',
    resourceType: 'AWS::KMS::Key',
    controlId,
    findingId: `Test-${controlId}`,
    ruleId: 'key-rotation',
    severity: 'error',
    status,
    rating: 'C3I3A3',
    ratingSource: 'props',
    ...(status === 'waived' && {
      waiver: { id: `Test::Test-${controlId}`, reason: 'accepted by the CISO', acknowledgedAt: 'Stack/Key' },
    }),
    ...more,
  };
}

export function reportControl(id: string, more: Partial<ReportControl> = {}): ReportControl {
  return {
    id,
    findingId: `Test-${id}`,
    title: `Control ${id}`,
    description: `Why ${id} matters.`,
    ruleId: 'key-rotation',
    severity: 'error',
    suppressible: true,
    securityHub: [],
    config: [],
    ...more,
  };
}

/** A report made by hand from records, with a control for each control id they name. */
export function handReport(evaluations: EvaluationRecord[], minimumScore = 95): CatalogueReport {
  const ids = [...new Set(evaluations.map((e) => e.controlId))];
  const stackIds = [...new Set(evaluations.map((e) => e.stackId))];
  return {
    formatVersion: '1.1',
    tool: { name: 'cdk-catalogue-checks', version: '0.1.0' },
    catalogue: { name: 'Test', owner: 'CISO', version: '1', packName: 'Test', minimumScore },
    controls: ids.map((id) => reportControl(id)),
    stacks: stackIds.map((stackId) => ({
      stackId,
      rating: 'C3I3A3',
      ratingSource: 'props',
      templateFile: `${stackId}.template.json`,
    })),
    evaluations,
    score: computeScore(evaluations, minimumScore),
  };
}

/** The shipped catalogue, with KMS.1 (key rotation) the control these templates exercise. */
export const catalogue: Catalogue = loadCatalogue();

const ROTATING = { EnableKeyRotation: true };

/**
 * One stack with a key for each status key rotation can give: compliant, non-compliant,
 * unverifiable (a parameter), not applicable (an HMAC key), waived and remediated (by the hooks).
 */
export const KEYS_TEMPLATE: CfnTemplate = {
  Parameters: { Rotate: { Type: 'String' } },
  Resources: {
    Rotating: {
      Type: 'AWS::KMS::Key',
      Properties: ROTATING,
      Metadata: { 'aws:cdk:path': 'App/Keys/Rotating/Resource' },
    },
    NotRotating: { Type: 'AWS::KMS::Key', Properties: {} },
    FromParameter: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: { Ref: 'Rotate' } } },
    Hmac: { Type: 'AWS::KMS::Key', Properties: { KeySpec: 'HMAC_256' } },
    Waived: { Type: 'AWS::KMS::Key', Properties: {} },
    Fixed: { Type: 'AWS::KMS::Key', Properties: ROTATING },
  },
};

export const TEMPLATE_FILE = 'App-Keys.template.json';

/** Evaluations by the real engine, with a waiver on `Waived` and a remediation record on `Fixed`. */
export function engineEvaluations(template: CfnTemplate = KEYS_TEMPLATE): Evaluation[] {
  const waiver: Waiver = {
    id: 'Enterprise::Enterprise-KMS.1',
    form: 'qualified',
    reason: 'legacy key, see https://deploy:hunter2@tickets.example.com/SEC-1',
    ticket: 'SEC-1',
    expires: '2026-12-31',
    acknowledgedAt: 'App/Keys',
  };
  return evaluate({
    catalogue,
    today: '2026-06-01',
    stacks: [{ stackId: 'App/Keys', template, rating: STRICTEST_RATING, ratingSource: 'props' }],
    waiverFor: (subject) => (subject.logicalId === 'Waived' ? waiver : undefined),
    remediationFor: (subject) =>
      subject.logicalId === 'Fixed' ? { changes: ['set EnableKeyRotation to true'] } : undefined,
  });
}

/** A report of the real engine's evaluations, with the template lines and a source line for `NotRotating`. */
export function engineReport(evaluations: Evaluation[] = engineEvaluations()): CatalogueReport {
  return buildReport(engineReportInput(evaluations));
}

/** What `engineReport` builds its report from. */
export function engineReportInput(evaluations: Evaluation[] = engineEvaluations()): BuildReportInput {
  const templateJson = JSON.stringify(KEYS_TEMPLATE, undefined, 1);
  return {
    evaluations,
    catalogue,
    stacks: [{ stackId: 'App/Keys', rating: 'C3I3A3', ratingSource: 'props', templateFile: TEMPLATE_FILE }],
    toolVersion: '0.1.0',
    ruleHelpOf: (control) => ruleOf(control)?.meta,
    locate: (e) => (e.logicalId === 'NotRotating' ? { file: 'lib/keys-stack.ts', line: 12 } : undefined),
    templateLine: (e) => templateLineOf(templateJson, e.logicalId),
  };
}

export function controlOf(id: string): Control {
  return catalogue.controls.find((c) => c.id === id)!;
}

/** Validates reports against `schema/catalogue-report.schema.json` (ajv, strict). */
export function reportSchemaValidator() {
  const schema = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'catalogue-report.schema.json'), 'utf8'),
  );
  return new Ajv({ allErrors: true, strict: true }).compile(schema);
}
