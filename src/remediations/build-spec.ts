import type { aws_codebuild as codebuild } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { yaml } from '../io/yaml';
import { isPlainObject } from '../engine/intrinsics';

/** A project's inline build spec (`Source.BuildSpec`), parsed, and the syntax to write it back in. */
export interface InlineBuildSpec {
  readonly spec: Readonly<Record<string, unknown>>;
  readonly syntax: 'json' | 'yaml';
}

/**
 * The project's inline build spec, or why it cannot be edited: a build spec file in the source
 * (no `BuildSpec`, or a file name or S3 ARN in it) or one with deploy-time parts. CDK renders
 * `BuildSpec.fromObject` (CDK Pipelines' steps included) as a JSON string behind a token: it is
 * resolved before parsing.
 */
export function readInlineBuildSpec(project: codebuild.CfnProject): InlineBuildSpec | string {
  const source = project.source;
  if (cdk.Tokenization.isResolvable(source)) return 'Source is a token';
  const text: unknown = cdk.Stack.of(project).resolve(source.buildSpec);
  if (text === undefined) return 'the build spec is the buildspec.yml file in the source';
  if (typeof text !== 'string') return 'Source.BuildSpec has parts only known at deploy time';
  const json = parseOrUndefined(() => JSON.parse(text));
  const spec = json ?? parseOrUndefined(() => yaml().parse(text));
  if (!isPlainObject(spec)) return `the build spec is the file '${text.slice(0, 200)}'`;
  return { spec, syntax: json === undefined ? 'yaml' : 'json' };
}

function parseOrUndefined(parse: () => unknown): unknown {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

/**
 * The build spec with `commands` at the start of the install phase (created when missing), leaving
 * out those it already runs there, and the commands added; or why commands cannot be added to it.
 */
export function withInstallCommands(
  spec: Readonly<Record<string, unknown>>,
  commands: readonly string[],
): { readonly spec: Record<string, unknown>; readonly added: readonly string[] } | string {
  // Version 0.1 runs every command in a shell of its own: an exported token would not reach npm or pip.
  if (String(spec.version) === '0.1') return 'the build spec is version 0.1, whose commands share no shell';
  const phases = spec.phases ?? {};
  if (!isPlainObject(phases)) return 'the build spec phases are not a map';
  const install = phases.install ?? {};
  if (!isPlainObject(install)) return 'the build spec install phase is not a map';
  const existing = install.commands ?? [];
  if (!Array.isArray(existing) || existing.some((command) => typeof command !== 'string')) {
    return 'the build spec install commands are not a list of commands';
  }
  const missing = commands.filter((command) => !existing.includes(command));
  const otherPhases = Object.entries(phases).filter(([name]) => name !== 'install');
  const phasesWithCommands = {
    install: { ...install, commands: [...missing, ...existing] },
    ...Object.fromEntries(otherPhases),
  };
  return { spec: { ...spec, phases: phasesWithCommands }, added: missing };
}

/** Writes the edited build spec back in the syntax it was read in. */
export function writeInlineBuildSpec(
  project: codebuild.CfnProject,
  spec: Record<string, unknown>,
  syntax: InlineBuildSpec['syntax'],
): void {
  const source = project.source as codebuild.CfnProject.SourceProperty;
  project.source = {
    ...source,
    buildSpec: syntax === 'json' ? JSON.stringify(spec, null, 2) : yaml().stringify(spec),
  };
}
