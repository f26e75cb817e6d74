import { findRule } from '../rules';
import { Catalogue, Control } from './model';
import { formatApplicability } from './rating';

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
  const rule = findRule(control.rule);
  const types = rule?.meta.resourceTypes ?? [];
  const lines = [
    `### ${packName}-${control.id}: ${control.title}`,
    '',
    ...(control.description ? [control.description, ''] : []),
    `- Rule \`${control.rule}\` on ${types.map((t) => `\`${t}\``).join(', ')}`,
    `- Applies ${applicability(control)}; severity ${control.severity}${control.suppressible ? '' : '; cannot be waived'}`,
    `- Compliant when ${rule?.meta.compliantWhen ?? 'the rule is unknown'}.`,
    `- Fix by hand: ${rule?.meta.fix.manually ?? 'none'}.`,
    `- Remediation${rule ? ` (Aspect \`${rule.meta.fix.aspect}\`)` : ''}: ${rule?.meta.remediation ?? 'none'}.`,
  ];
  const given = params(control);
  if (given) lines.push(`- Params: ${given}`);
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
    ...controls.map((control) => `${controlSection(control, metadata.packName)}\n`),
  ].join('\n');
}
