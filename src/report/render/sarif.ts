import { createHash } from 'crypto';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { Location, Log, ReportingDescriptor, Result } from 'sarif';
import { CatalogueReport, EvaluationRecord, isReported, ReportControl } from '../model';
import { messageText, refusedWaiverText, RenderOptions, resourceLabel, resourceName } from './common';

const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** GitHub code scanning ranks alerts by this: error findings high, warnings medium. */
const SECURITY_SEVERITY = { error: '8.0', warning: '5.0' } as const;

/** The key of the fingerprint; bump the version if what it hashes changes. */
const FINGERPRINT = 'catalogueFinding/v1';

/** A file URI reference: absolute paths as `file://` URIs, relative ones with `/` and each segment encoded. */
function uriOf(file: string): string {
  if (path.isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function helpText(control: ReportControl): { text: string; markdown: string } {
  const sections: [string, string | undefined][] = [
    ['', control.description || undefined],
    ['Compliant when', control.compliantWhen],
    ['Remediation', control.remediation],
    ['Security Hub', control.securityHub.join(', ') || undefined],
    ['AWS Config', control.config.join(', ') || undefined],
  ];
  const present = sections.filter((s): s is [string, string] => s[1] !== undefined);
  const label = (name: string, value: string, bold: boolean) =>
    name ? `${bold ? `**${name}**` : name}: ${value}` : value;
  return {
    text: [control.title, ...present.map(([n, v]) => label(n, v, false))].join('\n\n'),
    markdown: [`**${control.title}**`, ...present.map(([n, v]) => label(n, v, true))].join('\n\n'),
  };
}

function ruleOf(control: ReportControl): ReportingDescriptor {
  return {
    id: control.findingId,
    name: control.id,
    shortDescription: { text: control.title },
    fullDescription: { text: control.description || control.title },
    help: helpText(control),
    defaultConfiguration: { level: control.severity },
    properties: {
      'security-severity': SECURITY_SEVERITY[control.severity],
      tags: ['security', ...control.securityHub.map((id) => `security-hub/${id}`)],
      rule: control.ruleId,
      suppressible: control.suppressible,
    },
  };
}

/** Where the user wrote the resource, else its line in the template in the assembly. */
function physicalLocation(record: EvaluationRecord, assemblyDir: string): Location['physicalLocation'] {
  if (record.source) {
    return {
      artifactLocation: { uri: uriOf(record.source.file) },
      region: { startLine: record.source.line },
    };
  }
  if (!record.template) return undefined;
  const artifactLocation = {
    uri: uriOf(path.posix.join(assemblyDir, record.template.file.replace(/\\/g, '/'))),
  };
  return record.template.line === undefined
    ? { artifactLocation }
    : { artifactLocation, region: { startLine: record.template.line } };
}

function locationOf(record: EvaluationRecord, assemblyDir: string): Location {
  const physical = physicalLocation(record, assemblyDir);
  return {
    ...(physical && { physicalLocation: physical }),
    logicalLocations: [
      { fullyQualifiedName: resourceName(record), name: record.logicalId, kind: 'resource' },
    ],
  };
}

/** Stable across runs and line moves: the stack, the resource and the control. */
function fingerprintOf(record: EvaluationRecord): string {
  return createHash('sha256')
    .update([record.stackId, record.logicalId, record.controlId].join('\u0000'))
    .digest('hex');
}

function resultOf(record: EvaluationRecord, ruleIndex: number, assemblyDir: string): Result {
  const refused = refusedWaiverText(record);
  const text = `${resourceLabel(record)}: ${messageText(record)}${refused ? ` (${refused})` : ''}`;
  return {
    ruleId: record.findingId,
    ...(ruleIndex >= 0 && { ruleIndex }),
    level: record.severity,
    message: { text },
    locations: [locationOf(record, assemblyDir)],
    partialFingerprints: { [FINGERPRINT]: fingerprintOf(record) },
    ...(record.status === 'waived' && {
      suppressions: [{ kind: 'external', status: 'accepted', justification: record.waiver?.reason ?? '' }],
    }),
    properties: {
      status: record.status,
      stackId: record.stackId,
      logicalId: record.logicalId,
      resourceType: record.resourceType,
      ...(record.property && { property: record.property }),
      rating: record.rating,
    },
  };
}

/** SARIF 2.1.0 for code scanning: a rule per control, a result per finding and per waived finding. */
export function renderSarif(report: CatalogueReport, options: RenderOptions = {}): string {
  const assemblyDir = options.assemblyDir ?? 'cdk.out';
  const ruleIndex = new Map(report.controls.map((c, i) => [c.findingId, i]));
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules: report.controls.map(ruleOf),
          },
        },
        results: report.evaluations
          .filter(isReported)
          .map((r) => resultOf(r, ruleIndex.get(r.findingId) ?? -1, assemblyDir)),
        properties: {
          catalogue: report.catalogue,
          score: report.score.baseline,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
