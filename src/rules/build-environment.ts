import { yaml } from '../io/yaml';
import { intrinsicName, isIntrinsic, isPlainObject, prop, propertyVariants } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { ResourceUnderCheck } from './rule';

/**
 * The environment variables a CodeBuild build gets, from everywhere that sets them: the project's
 * `Environment.EnvironmentVariables`, the env section of its inline build spec (and of the builds of
 * its batch section), and the `EnvironmentVariables` of every CodePipeline action that runs it. The
 * build spec's variables and the action's override the project's at run time; a rule that judges
 * every value any of them sets needs no precedence.
 */

/** What is known of a variable's value at synth time. */
export type VariableValue =
  /**
   * Text: `known` is certain; when `complete` is false, text only known at deploy or run time follows
   * it (`shown` renders the whole value with its placeholders). `reference` names the deploy-time value
   * when the value is nothing but one (`parameter Registry`).
   */
  | {
      readonly kind: 'text';
      readonly known: string;
      readonly complete: boolean;
      readonly shown: string;
      readonly reference?: string;
    }
  | { readonly kind: 'absent' }
  | { readonly kind: 'not-text'; readonly shown: string }
  /** Read from Parameter Store or Secrets Manager when the build starts: `reference` names where. */
  | { readonly kind: 'stored'; readonly store: string; readonly reference: string }
  /** The variable's Type is only known at deploy time. */
  | { readonly kind: 'deploy-time-type'; readonly source: string };

/** Where a variable is set. */
export interface VariableOrigin {
  /** The project property the finding names: `Environment.EnvironmentVariables` or `Source.BuildSpec`. */
  readonly property: string;
  /** For messages, after the variable's name: '' for the project's own, ` in the build spec's env.variables`... */
  readonly where: string;
  /** Whether every build of the project gets it (the project's and the build spec's env), not only some. */
  readonly everyBuild: boolean;
  /** Set when the action that sets it may or may not run this project: why that is not known. */
  readonly uncertainProject?: string;
}

export interface BuildVariable {
  /** As spelt; undefined when the name is only known at deploy time (`describe` says what it is). */
  readonly name: string | undefined;
  readonly value: VariableValue;
  readonly origin: VariableOrigin;
  /** What the entry is, when its name is only known at deploy time (`Fn::If`, `Ref Name`). */
  readonly unknownName?: string;
}

/** Something that sets variables the rule cannot read: a build spec file, a value chosen at deploy time. */
export interface UnreadableSource {
  readonly property: string;
  readonly description: string;
  /** A build spec file (in the source or in S3), which a catalogue may choose to trust. */
  readonly buildSpecFile: boolean;
}

export interface BuildEnvironment {
  readonly variables: readonly BuildVariable[];
  readonly unreadable: readonly UnreadableSource[];
}

const PROJECT_VARIABLES = 'Environment.EnvironmentVariables';
const BUILD_SPEC = 'Source.BuildSpec';

/** Text a build fills in when it runs (`$HOME`, CodePipeline's `#{Source.BranchName}`) or CloudFormation when it deploys (`{{resolve:ssm:...}}`). */
const RUN_TIME_PART = /\$|#\{|\{\{resolve:/;
const DYNAMIC_REFERENCE = '{{resolve:';

/** Every variable the project's builds may get, and what sets variables the rule cannot read. */
export function buildEnvironment(project: ResourceUnderCheck, resolver: TemplateResolver): BuildEnvironment {
  const spec = buildSpecEnvironment(project, resolver);
  const actions = pipelineOverrides(project, resolver);
  return {
    variables: [...projectVariables(project, resolver), ...spec.variables, ...actions.variables],
    unreadable: [...spec.unreadable, ...actions.unreadable],
  };
}

const OWN: VariableOrigin = { property: PROJECT_VARIABLES, where: '', everyBuild: true };

/** The entries of `Environment.EnvironmentVariables` (the rule has checked that the list itself is known). */
function projectVariables(project: ResourceUnderCheck, resolver: TemplateResolver): BuildVariable[] {
  const declared = prop(project.properties.Environment, 'EnvironmentVariables');
  if (!Array.isArray(declared)) return [];
  return declared.flatMap((entry): BuildVariable[] => {
    if (isIntrinsic(entry)) {
      const shown = describe(entry);
      return [{ name: undefined, unknownName: shown, origin: OWN, value: unknownText(shown) }];
    }
    const name = resolver.resolve(prop(entry, 'Name'), project.stack);
    if (name.kind === 'absent') return [];
    const value = projectValue(entry, project.stack, resolver);
    return name.kind === 'literal'
      ? [{ name: String(name.value), origin: OWN, value }]
      : [{ name: undefined, unknownName: describe(prop(entry, 'Name')), origin: OWN, value }];
  });
}

function projectValue(entry: unknown, stack: StackTemplate, resolver: TemplateResolver): VariableValue {
  const type = resolver.resolve(prop(entry, 'Type'), stack);
  const value = prop(entry, 'Value');
  if (type.kind === 'unknown') return { kind: 'deploy-time-type', source: type.description };
  if (type.kind !== 'absent' && !(type.kind === 'literal' && type.value === 'PLAINTEXT')) {
    const store = type.kind === 'literal' ? String(type.value) : describe(prop(entry, 'Type'));
    return { kind: 'stored', store, reference: describe(value) };
  }
  const resolved = resolver.resolve(value, stack);
  switch (resolved.kind) {
    case 'absent':
      return { kind: 'absent' };
    case 'literal':
      return projectText(String(resolved.value));
    case 'structure':
      return { kind: 'not-text', shown: describe(value) };
  }
  // Parts known only at deploy time render as `${...}`: the text before the first one is certain.
  const { text } = resolver.text(value, stack);
  const templated = intrinsicName(value) === 'Fn::Join' || intrinsicName(value) === 'Fn::Sub';
  const known = text.split('${')[0].split(DYNAMIC_REFERENCE)[0];
  const reference = templated
    ? undefined
    : resolved.kind === 'unknown'
      ? resolved.description
      : describe(value);
  return { kind: 'text', known, complete: false, shown: text, reference };
}

/** A literal value of the project's, certain up to a dynamic reference CloudFormation fills in at deploy time. */
export function projectText(text: string): VariableValue {
  return textWithParts(text, DYNAMIC_REFERENCE);
}

/** A literal value, certain up to the first part `marker` says is filled in later. */
function textWithParts(text: string, marker: string | RegExp): VariableValue {
  const at = typeof marker === 'string' ? text.indexOf(marker) : text.search(marker);
  return at < 0
    ? { kind: 'text', known: text, complete: true, shown: text }
    : { kind: 'text', known: text.slice(0, at), complete: false, shown: text };
}

function unknownText(shown: string): VariableValue {
  return { kind: 'text', known: '', complete: false, shown: `\${${shown}}`, reference: shown };
}

/** A value written in a build spec or an action's JSON, where `$` and `#{` are filled in when the build runs. */
export function documentValue(value: unknown): VariableValue {
  if (value === null || value === undefined) return { kind: 'absent' };
  if (typeof value === 'string') return textWithParts(value, RUN_TIME_PART);
  if (typeof value === 'number' || typeof value === 'boolean')
    return textWithParts(String(value), RUN_TIME_PART);
  return { kind: 'not-text', shown: describe(value) };
}

/** A name written in a document with deploy-time parts: one holding a placeholder is only known at deploy time. */
function documentName(name: string, exact: boolean): Pick<BuildVariable, 'name' | 'unknownName'> {
  return !exact && name.includes('${') ? { name: undefined, unknownName: `'${name}'` } : { name };
}

// ---------------------------------------------------------------------------------------------
// The build spec

/**
 * The variables of the inline build spec: `env.variables`, `env.parameter-store` and
 * `env.secrets-manager`, and the env of each build of the batch section. A build spec in a file
 * (the source's buildspec.yml, an S3 object) can set any variable and cannot be read.
 */
function buildSpecEnvironment(project: ResourceUnderCheck, resolver: TemplateResolver): BuildEnvironment {
  const source = project.properties.Source;
  const resolvedSource = resolver.resolve(source, project.stack);
  if (resolvedSource.kind === 'unknown') {
    return unreadable(`Source comes from ${resolvedSource.description}, which is only known at deploy time`);
  }
  const value = prop(source, 'BuildSpec');
  if (value === undefined || value === null) {
    return unreadable('the build spec is the buildspec.yml file in the source', true);
  }
  const text = documentText(value, project.stack, resolver);
  if ('unknown' in text) return unreadable(`Source.BuildSpec has ${text.unknown}`);
  const spec = parseDocument(text.text);
  if (spec === undefined) {
    return unreadable('Source.BuildSpec cannot be parsed as YAML or JSON (or repeats a key)');
  }
  if (!isPlainObject(spec)) {
    return unreadable(`the build spec is the file '${text.text.slice(0, 200)}'`, true);
  }
  return specEnvironment(spec, text.exact);
}

function unreadable(description: string, buildSpecFile = false): BuildEnvironment {
  return { variables: [], unreadable: [{ property: BUILD_SPEC, description, buildSpecFile }] };
}

/** YAML (JSON is YAML) with merge keys, as CodeBuild reads it; undefined when it does not parse or repeats a key. */
function parseDocument(text: string): unknown {
  try {
    // logLevel 'error': errors throw (a 'silent' parse drops them), warnings stay quiet.
    return yaml().parse(text, { merge: true, uniqueKeys: true, logLevel: 'error' });
  } catch {
    return undefined;
  }
}

/** The keys of an env section that set variables, and what each says of a value. */
const ENV_SECTIONS: ReadonlyArray<readonly [string, (value: unknown) => VariableValue[]]> = [
  // A batch build matrix gives a list of values per name: one build each.
  ['variables', (value) => (Array.isArray(value) ? value.map(documentValue) : [documentValue(value)])],
  ['parameter-store', (value) => [{ kind: 'stored', store: 'PARAMETER_STORE', reference: describe(value) }]],
  ['secrets-manager', (value) => [{ kind: 'stored', store: 'SECRETS_MANAGER', reference: describe(value) }]],
];

function specEnvironment(spec: Record<string, unknown>, exact: boolean): BuildEnvironment {
  const top = sectionVariables(prop(spec, 'env'), 'env', true, exact);
  const batches = batchBuilds(prop(spec, 'batch')).map(({ path, env, buildspec }) => {
    const section = sectionVariables(env, `${path}.env`, false, exact);
    const files = (Array.isArray(buildspec) ? buildspec : buildspec === undefined ? [] : [buildspec]).map(
      (file): UnreadableSource => ({
        property: BUILD_SPEC,
        description: `the build spec's ${path}.buildspec names another build spec (${describe(file)}), which the rule cannot read`,
        buildSpecFile: true,
      }),
    );
    return { variables: section.variables, unreadable: [...section.unreadable, ...files] };
  });
  return {
    variables: [...top.variables, ...batches.flatMap((b) => b.variables)],
    unreadable: [...top.unreadable, ...batches.flatMap((b) => b.unreadable)],
  };
}

/** The variables one env section sets: `variables`, `parameter-store`, `secrets-manager`. */
function sectionVariables(env: unknown, path: string, everyBuild: boolean, exact: boolean): BuildEnvironment {
  const variables: BuildVariable[] = [];
  const unreadableParts: UnreadableSource[] = [];
  for (const [key, valuesOf] of ENV_SECTIONS) {
    const origin: VariableOrigin = {
      property: BUILD_SPEC,
      where: ` in the build spec's ${path}.${key}`,
      everyBuild,
    };
    const section = prop(env, key);
    if (section === undefined || section === null) continue;
    if (!isPlainObject(section)) {
      unreadableParts.push({
        property: BUILD_SPEC,
        description: `the build spec's ${path}.${key} is ${describe(section)}, not a map of variables`,
        buildSpecFile: false,
      });
      continue;
    }
    for (const [name, value] of Object.entries(section)) {
      for (const each of valuesOf(value))
        variables.push({ ...documentName(name, exact), value: each, origin });
    }
  }
  return { variables, unreadable: unreadableParts };
}

/** The builds of a batch section, each with its env and the other build spec it may name. */
function batchBuilds(batch: unknown): Array<{ path: string; env: unknown; buildspec: unknown }> {
  const builds: Array<{ path: string; env: unknown; buildspec: unknown }> = [];
  for (const list of ['build-list', 'build-graph']) {
    const items = prop(batch, list);
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) =>
      builds.push({
        path: `batch.${list}[${i}]`,
        env: prop(item, 'env'),
        buildspec: prop(item, 'buildspec'),
      }),
    );
  }
  for (const kind of ['static', 'dynamic']) {
    const matrix = prop(prop(batch, 'build-matrix'), kind);
    if (matrix !== undefined) {
      builds.push({
        path: `batch.build-matrix.${kind}`,
        env: prop(matrix, 'env'),
        buildspec: prop(matrix, 'buildspec'),
      });
    }
  }
  return builds;
}

// ---------------------------------------------------------------------------------------------
// Documents held in a string property (a build spec, an action's JSON list of variables)

/**
 * The text of a string property holding a document, deploy-time parts rendered as `${...}`
 * placeholders; or what makes it unreadable. A part whose text someone chooses at deploy time (a
 * parameter, an import, a custom resource's attribute, a dynamic reference) could add entries to
 * the document; the name, id or ARN of a resource and a pseudo parameter cannot.
 */
function documentText(
  value: unknown,
  stack: StackTemplate,
  resolver: TemplateResolver,
): { readonly text: string; readonly exact: boolean } | { readonly unknown: string } {
  const resolved = resolver.resolve(value, stack);
  const name = intrinsicName(value);
  if (resolved.kind !== 'literal' && name !== 'Fn::Join' && name !== 'Fn::Sub') {
    const source = resolved.kind === 'unknown' ? resolved.description : describe(value);
    return { unknown: `a value from ${source}, which is only known at deploy time` };
  }
  const chosen = chosenParts(value, stack, resolver);
  if (chosen.length > 0) {
    return {
      unknown: `parts whose text is chosen at deploy time (${chosen.join(', ')}), which could add entries to it`,
    };
  }
  const text = resolver.text(value, stack);
  if (text.text.includes(DYNAMIC_REFERENCE)) {
    return {
      unknown:
        'a dynamic reference ({{resolve:...}}), whose text CloudFormation fills in at deploy time and which could add entries to it',
    };
  }
  return text;
}

/** Attributes whose text someone chooses: an SSM parameter's Value, a nested stack's outputs. */
const CHOSEN_ATTRIBUTE = /^(Value|Outputs\..*)$/;

function chosenParts(value: unknown, stack: StackTemplate, resolver: TemplateResolver): string[] {
  if (!isIntrinsic(value)) return [];
  const name = intrinsicName(value) as string;
  const args = value[name];
  if (name === 'Fn::Join') {
    return Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])
      ? args[1].flatMap((part) => chosenParts(part, stack, resolver))
      : [describe(value)];
  }
  if (name === 'Fn::Sub') {
    const references = subReferences(args);
    return references
      ? references.flatMap((reference) => chosenParts(reference, stack, resolver))
      : [describe(value)];
  }
  if (name === 'Ref' && typeof args === 'string' && args.startsWith('AWS::')) return [];
  const resolved = resolver.resolve(value, stack);
  if (resolved.kind === 'literal') return [];
  if (resolved.kind === 'resource' && !CHOSEN_ATTRIBUTE.test(resolved.attribute ?? '')) return [];
  return [resolved.kind === 'unknown' ? resolved.description : describe(value)];
}

/** The values a `Fn::Sub` fills in: its variables, and `${Name}` / `${Resource.Attribute}` as Ref / Fn::GetAtt. */
function subReferences(args: unknown): unknown[] | undefined {
  const template = Array.isArray(args) ? args[0] : args;
  if (typeof template !== 'string') return undefined;
  const variables = Array.isArray(args) && isPlainObject(args[1]) ? args[1] : {};
  return [...template.matchAll(/\$\{([^!}][^}]*)\}/g)].map(([, variable]) =>
    Object.prototype.hasOwnProperty.call(variables, variable)
      ? variables[variable]
      : variable.includes('.')
        ? { 'Fn::GetAtt': variable }
        : { Ref: variable },
  );
}

// ---------------------------------------------------------------------------------------------
// CodePipeline actions

const PIPELINE = 'AWS::CodePipeline::Pipeline';

/** A CodePipeline action that names a project and sets variables for its builds. */
interface VariablesAction {
  readonly description: string;
  readonly stack: StackTemplate;
  /** The ProjectName as written. */
  readonly projectName: unknown;
  readonly variables: ReadonlyArray<Omit<BuildVariable, 'origin'>> | { readonly unreadable: string };
}

/** Part of a pipeline only known at deploy time (its stages, a stage's actions, an action's configuration). */
interface UnknownPipelinePart {
  readonly unknownPart: string;
}

/**
 * The variables that CodePipeline actions running this project override, from every pipeline of
 * the templates, whether it deploys or not (a condition can only make it deploy): overrides are
 * evidence against the project, never for it. An action whose ProjectName is only known at deploy
 * time may run this project.
 */
function pipelineOverrides(project: ResourceUnderCheck, resolver: TemplateResolver): BuildEnvironment {
  const variables: BuildVariable[] = [];
  const unreadableParts: UnreadableSource[] = [];
  for (const action of variablesActions(resolver)) {
    if ('unknownPart' in action) {
      unreadableParts.push({
        property: PROJECT_VARIABLES,
        description: `${action.unknownPart}: its actions may run this project with any variables`,
        buildSpecFile: false,
      });
      continue;
    }
    const runs = runsProject(action, project, resolver);
    if (runs === false) continue;
    const uncertainProject = runs === true ? undefined : runs;
    const where = ` in the EnvironmentVariables of ${action.description}`;
    if ('unreadable' in action.variables) {
      const maybe = uncertainProject
        ? `, which may run this project (${uncertainProject}),`
        : ', which runs this project,';
      unreadableParts.push({
        property: PROJECT_VARIABLES,
        description: `the EnvironmentVariables of ${action.description}${maybe} ${action.variables.unreadable}`,
        buildSpecFile: false,
      });
      continue;
    }
    const origin: VariableOrigin = {
      property: PROJECT_VARIABLES,
      where,
      everyBuild: false,
      uncertainProject,
    };
    variables.push(...action.variables.map((variable) => ({ ...variable, origin })));
  }
  return { variables, unreadable: unreadableParts };
}

/** Whether the action runs the project: true, false, or why it may (its ProjectName is only known at deploy time). */
function runsProject(
  action: VariablesAction,
  project: ResourceUnderCheck,
  resolver: TemplateResolver,
): boolean | string {
  const target = resolver.resolve(action.projectName, action.stack);
  switch (target.kind) {
    case 'resource':
      // A nested stack's output or an SSM parameter's value may be any name, this project's too.
      if (CHOSEN_ATTRIBUTE.test(target.attribute ?? '')) {
        return `its ProjectName comes from ${describe(action.projectName)}`;
      }
      return target.logicalId === project.logicalId && target.stack.stackId === project.stack.stackId;
    case 'literal': {
      if (String(target.value).includes('#{')) {
        return `its ProjectName '${target.value}' holds a CodePipeline variable, only known when the pipeline runs`;
      }
      const own = resolver.resolve(project.properties.Name, project.stack);
      if (own.kind === 'literal') return String(own.value) === String(target.value);
      return own.kind === 'absent' ? false : `the project's Name is ${describe(project.properties.Name)}`;
    }
    case 'unknown':
      return `its ProjectName comes from ${target.description}`;
    default:
      return false;
  }
}

/** Every action of every pipeline that sets EnvironmentVariables, each `Fn::If` branch considered. */
function variablesActions(resolver: TemplateResolver): Array<VariablesAction | UnknownPipelinePart> {
  return resolver.memoize('build-environment:pipeline-actions', () => {
    const found = new Map<string, VariablesAction | UnknownPipelinePart>();
    for (const { logicalId, resource, stack } of resolver.resourcesOfType(PIPELINE)) {
      const properties = isPlainObject(resource.Properties) ? resource.Properties : {};
      for (const { properties: variant } of propertyVariants(properties)) {
        for (const action of actionsOf(
          variant,
          `pipeline ${logicalId} (stack ${stack.stackId})`,
          stack,
          resolver,
        )) {
          found.set(actionKey(action), action);
        }
      }
    }
    return [...found.values()];
  });
}

/** One key per action and what it sets, whichever variant of its pipeline it comes from. */
function actionKey(action: VariablesAction | UnknownPipelinePart): string {
  return 'unknownPart' in action
    ? action.unknownPart
    : JSON.stringify([action.description, action.projectName, action.variables]);
}

function actionsOf(
  properties: Record<string, unknown>,
  pipeline: string,
  stack: StackTemplate,
  resolver: TemplateResolver,
): Array<VariablesAction | UnknownPipelinePart> {
  const unknownPart = (what: string, value: unknown): UnknownPipelinePart => ({
    unknownPart: `${pipeline} has ${what} only known at deploy time (${describe(value)})`,
  });
  const stages = properties.Stages;
  if (isIntrinsic(stages)) return [unknownPart('stages', stages)];
  if (!Array.isArray(stages)) return [];
  return stages.flatMap((stage): Array<VariablesAction | UnknownPipelinePart> => {
    const stageName = String(prop(stage, 'Name') ?? '?');
    const actions = isIntrinsic(stage) ? stage : prop(stage, 'Actions');
    if (isIntrinsic(actions)) return [unknownPart(`the actions of stage ${stageName}`, actions)];
    if (!Array.isArray(actions)) return [];
    return actions.flatMap((action): Array<VariablesAction | UnknownPipelinePart> => {
      const actionName = `action ${stageName}/${String(prop(action, 'Name') ?? '?')}`;
      const configuration = isIntrinsic(action) ? action : prop(action, 'Configuration');
      if (isIntrinsic(configuration))
        return [unknownPart(`the configuration of ${actionName}`, configuration)];
      const declared = prop(configuration, 'EnvironmentVariables');
      if (declared === undefined || declared === null) return [];
      return [
        {
          description: `${actionName} of ${pipeline}`,
          stack,
          projectName: prop(configuration, 'ProjectName'),
          variables: actionVariables(declared, stack, resolver),
        },
      ];
    });
  });
}

/** The JSON list of `{name, value, type}` an action's EnvironmentVariables holds, or why it cannot be read. */
function actionVariables(
  declared: unknown,
  stack: StackTemplate,
  resolver: TemplateResolver,
): VariablesAction['variables'] {
  const text = documentText(declared, stack, resolver);
  if ('unknown' in text) return { unreadable: `has ${text.unknown}` };
  let list: unknown;
  try {
    list = JSON.parse(text.text);
  } catch {
    return { unreadable: `is not a JSON list ('${text.text.slice(0, 100)}')` };
  }
  if (!Array.isArray(list)) return { unreadable: `is ${describe(list)}, not a list` };
  return list.flatMap((entry): Array<Omit<BuildVariable, 'origin'>> => {
    const name = prop(entry, 'name');
    if (name === undefined) return [];
    const type = prop(entry, 'type') ?? 'PLAINTEXT';
    const value: VariableValue =
      type === 'PLAINTEXT'
        ? documentValue(prop(entry, 'value'))
        : {
            kind: 'stored',
            store: typeof type === 'string' ? type : describe(type),
            reference: describe(prop(entry, 'value')),
          };
    return [
      typeof name === 'string'
        ? { ...documentName(name, text.exact), value }
        : { name: undefined, unknownName: describe(name), value },
    ];
  });
}
