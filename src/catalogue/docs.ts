import * as path from 'path';
import { ruleOf } from '../rules';
import { Catalogue, Control } from './model';
import { appliesAt, CIA_DIMENSIONS, CiaLevel, CiaRating, formatApplicability } from './rating';

const LEVELS: readonly CiaLevel[] = [1, 2, 3];

/**
 * Which controls a workload gets at each level of each CIA dimension (the other two at 1): a control
 * applies when any dimension it lists reaches its level, so the rows read "from this level on".
 */
function applicabilityMatrix(catalogue: Catalogue): string {
  const columns = CIA_DIMENSIONS.flatMap((dimension) => LEVELS.map((level) => ({ dimension, level })));
  const header = `| control | ${columns.map(({ dimension, level }) => `${dimension[0].toUpperCase()}${level}`).join(' | ')} |`;
  const rule = `| --- | ${columns.map(() => ':-:').join(' | ')} |`;
  const rows = catalogue.controls.map((control) => {
    const cells = columns.map(({ dimension, level }) => {
      const rating: CiaRating = { confidentiality: 1, integrity: 1, availability: 1, [dimension]: level };
      return appliesAt(control.appliesFrom, rating) ? 'x' : ' ';
    });
    return `| ${catalogue.metadata.packName}-${control.id} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

function applicability(control: Control): string {
  const levels = formatApplicability(control.appliesFrom);
  return levels === 'always' ? 'always' : `from ${levels}`;
}

function references(control: Control): string | undefined {
  const all = [
    ...control.references.securityHub.map((id) => `Security Hub ${id}`),
    ...control.references.config.map((id) => `AWS Config ${id}`),
  ];
  return all.length > 0 ? all.join(', ') : undefined;
}

function params(control: Control): string | undefined {
  const entries = Object.entries(control.params);
  if (entries.length === 0) return undefined;
  return entries.map(([name, value]) => `\`${name}\`: \`${JSON.stringify(value)}\``).join('; ');
}

function controlSection(control: Control, packName: string): string {
  const rule = ruleOf(control);
  const types = rule?.meta.resourceTypes ?? [];
  const lines = [
    `### ${packName}-${control.id}: ${control.title}`,
    '',
    ...(control.description ? [control.description, ''] : []),
    `- ${control.check ? 'Declarative check' : `Rule \`${control.rule}\``} on ${types.map((t) => `\`${t}\``).join(', ')}`,
    `- Applies ${applicability(control)}; severity ${control.severity}${control.suppressible ? '' : '; cannot be waived'}`,
    `- Compliant when ${rule?.meta.compliantWhen ?? 'the rule is unknown'}.`,
    `- Fix by hand: ${rule?.meta.fix.manually ?? 'none'}.`,
    `- Remediation${rule ? ` (Aspect \`${rule.meta.fix.aspect}\`)` : ''}: ${rule?.meta.remediation ?? 'none'}.`,
  ];
  const given = params(control);
  if (given) lines.push(`- Params: ${given}`);
  const origins = Object.entries(control.origins ?? {});
  if (origins.length > 0)
    lines.push(
      `- Changed by this catalogue over the one it extends: ${origins.map(([setting, at]) => `${setting} (${path.basename(at.file)}:${at.line})`).join(', ')}`,
    );
  const seeAlso = references(control);
  if (seeAlso) lines.push(`- References: ${seeAlso}`);
  return lines.join('\n');
}

/** The catalogue as Markdown, for the CISO office's review and the README. */
export function renderCatalogueMarkdown(catalogue: Catalogue): string {
  const { metadata, baseline, controls } = catalogue;
  return [
    `## ${metadata.name} ${metadata.version}`,
    '',
    `Owner: ${metadata.owner}. Baseline: ${baseline.minimumScore}% compliance. Findings are named \`${metadata.packName}-<control id>\`.`,
    '',
    'Which controls apply at each level of each CIA dimension (with the other two at 1); a workload gets every control marked in any of its three levels:',
    '',
    applicabilityMatrix(catalogue),
    '',
    ...controls.map((control) => `${controlSection(control, metadata.packName)}\n`),
  ].join('\n');
}
