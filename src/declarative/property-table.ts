import * as fs from 'fs';
import * as path from 'path';
import { didYouMean } from '../catalogue/schema-messages';
import { PathStep, renderPath } from './path';

/**
 * The properties each CloudFormation resource type can have, to tell a catalogue author that a
 * path no resource of the control can have (a typo: `PointInTimeRecoveryEnable`) is a mistake,
 * instead of a control that fails every resource, or passes every one under `exists: false`.
 *
 * The table is read from the aws-cdk-lib that is installed, lazily, one resource type at a time:
 * the parsers of its generated L1 classes (`CfnTablePropsFromCloudFormation`, used by
 * cloudformation-include to read templates) name every property as CloudFormation spells it with
 * its type (string, number, boolean, timestamp, JSON, tag, list, map, union, or a property type,
 * which has its own parser). They are generated from CloudFormation's resource schemas, cover every
 * type aws-cdk-lib has an L1 for (`cloudformation-include/cfn-types-2-classes.json` maps each type to
 * its class), and are plain text. The other sources are not usable: the bundled validator's
 * schemas are compiled into a WebAssembly binary with no way to list them, and the jsii assembly
 * spells properties in camelCase, which does not give the CloudFormation names back
 * (`dbClusterIdentifier` is `DBClusterIdentifier`).
 *
 * Without aws-cdk-lib, or for a type it has no L1 for (a registry type), nothing is known and every
 * path is accepted; so is any path below a part of a parser this code does not recognise.
 */

/** What a value at some place of a resource's properties is, as far as a path can go through it. */
export type Shape =
  | { readonly kind: 'scalar'; readonly type: 'String' | 'Number' | 'Boolean' | 'Timestamp' }
  /** A JSON document (a policy document) or something unrecognised: any path below it may exist. */
  | { readonly kind: 'json' }
  | { readonly kind: 'list' | 'map'; readonly element: Shape }
  | { readonly kind: 'union'; readonly members: readonly Shape[] }
  | PropertyType;

/** An object of named properties (the resource's properties, or a property type); read when a path reaches it. */
export interface PropertyType {
  readonly kind: 'object';
  /** Undefined when its parser is not found: then any property is accepted. */
  readonly properties: () => ReadonlyMap<string, Shape> | undefined;
}

const JSON_SHAPE: Shape = { kind: 'json' };
const scalar = (type: 'String' | 'Number' | 'Boolean' | 'Timestamp'): Shape => ({ kind: 'scalar', type });
const TAG_PROPERTIES: ReadonlyMap<string, Shape> = new Map([
  ['Key', scalar('String')],
  ['Value', scalar('String')],
]);

/** The parsers of aws-cdk-lib's `cfn-parse` helpers that a property's parser calls. */
const LEAF_PARSERS: Readonly<Record<string, Shape>> = {
  getString: scalar('String'),
  getNumber: scalar('Number'),
  getBoolean: scalar('Boolean'),
  getDate: scalar('Timestamp'),
  getAny: JSON_SHAPE,
  getCfnTag: { kind: 'object', properties: () => TAG_PROPERTIES },
};
const FROM_CLOUDFORMATION = 'cfn_parse().FromCloudFormation.';
const PROPERTY_TYPE_PARSER = /^Cfn[A-Za-z0-9_]+PropertyFromCloudFormation/;

/** A part of a parser this code does not know: the property it parses accepts any path. */
class Unrecognised extends Error {}

/**
 * One generated L1 module, and its parsers read so far. Kept as bytes: only the parsers a path
 * reaches are decoded (the code is ASCII), not the megabytes of the module around them.
 */
class GeneratedModule {
  private readonly objects = new Map<string, ReadonlyMap<string, Shape> | undefined>();

  constructor(private readonly bytes: Buffer) {}

  has(parser: string): boolean {
    return this.bytes.includes(`function ${parser}(properties){`);
  }

  /** The properties one parser (`CfnTablePropsFromCloudFormation`) reads, once; undefined when not found. */
  propertiesOf(parser: string): ReadonlyMap<string, Shape> | undefined {
    if (!this.objects.has(parser)) this.objects.set(parser, this.readParser(parser));
    return this.objects.get(parser);
  }

  objectShape(parser: string): PropertyType {
    return { kind: 'object', properties: () => this.propertiesOf(parser) };
  }

  private readParser(parser: string): ReadonlyMap<string, Shape> | undefined {
    const start = this.bytes.indexOf(`function ${parser}(properties){`);
    const end = start < 0 ? -1 : this.bytes.indexOf('.addUnrecognizedPropertiesAsExtra(properties)', start);
    if (end < 0) return undefined;
    const body = this.bytes.toString('latin1', start, end);
    const properties = new Map<string, Shape>();
    const PROPERTY =
      /addPropertyResult\("[^"]*","([^"]+)",properties\.([A-Za-z0-9_]+)!=null\?(.*?)\(properties\.\2\):void 0\)/g;
    for (const [, name, , parse] of body.matchAll(PROPERTY)) properties.set(name, this.shapeOf(parse));
    return properties;
  }

  /** The shape a property's parser expression reads; JSON (anything) when a part is not recognised. */
  private shapeOf(expression: string): Shape {
    try {
      const { shape, rest } = this.parseShape(expression);
      if (rest !== '') throw new Unrecognised(rest);
      return shape;
    } catch (e) {
      if (e instanceof Unrecognised) return JSON_SHAPE;
      throw e;
    }
  }

  private parseShape(text: string): { shape: Shape; rest: string } {
    const propertyType = PROPERTY_TYPE_PARSER.exec(text)?.[0];
    if (propertyType) return { shape: this.objectShape(propertyType), rest: text.slice(propertyType.length) };
    if (!text.startsWith(FROM_CLOUDFORMATION)) throw new Unrecognised(text);
    const call = /^[A-Za-z]+/.exec(text.slice(FROM_CLOUDFORMATION.length))?.[0] ?? '';
    let rest = text.slice(FROM_CLOUDFORMATION.length + call.length);
    if (Object.prototype.hasOwnProperty.call(LEAF_PARSERS, call)) return { shape: LEAF_PARSERS[call], rest };
    if (call === 'getArray' || call === 'getMap') {
      const inner = this.parseShape(expect(rest, '('));
      const kind = call === 'getArray' ? 'list' : 'map';
      return { shape: { kind, element: inner.shape }, rest: expect(inner.rest, ')') };
    }
    if (call !== 'getTypeUnion') throw new Unrecognised(call);
    // getTypeUnion([validators], [parsers]): the validators say nothing the parsers do not.
    rest = skipBracketed(expect(rest, '('));
    rest = expect(rest, ',[');
    const members: Shape[] = [];
    for (;;) {
      const member = this.parseShape(rest);
      members.push(member.shape);
      if (!member.rest.startsWith(',')) {
        rest = expect(expect(member.rest, ']'), ')');
        break;
      }
      rest = member.rest.slice(1);
    }
    return { shape: { kind: 'union', members }, rest };
  }
}

function expect(text: string, prefix: string): string {
  if (!text.startsWith(prefix)) throw new Unrecognised(text);
  return text.slice(prefix.length);
}

/** The text after the bracketed list it starts with (`[a,b(c)],rest` gives `,rest`). */
function skipBracketed(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[' || text[i] === '(') depth++;
    else if (text[i] === ']' || text[i] === ')') depth--;
    if (depth === 0) return text.slice(i + 1);
  }
  throw new Unrecognised(text);
}

// ---------------------------------------------------------------------------------------------
// aws-cdk-lib, found once; its modules read when a type of theirs is first asked for
// ---------------------------------------------------------------------------------------------

interface Library {
  readonly root: string;
  /**
   * `cloudformation-include/cfn-types-2-classes.json`, which maps `AWS::DynamoDB::Table` to
   * `aws-cdk-lib/aws-dynamodb.CfnTable`: searched as text, as parsing its 1,900 entries costs more
   * than the few look-ups a catalogue makes.
   */
  readonly classes: string;
  /** Each module's generated files, each read when a parser is first looked for in it. */
  readonly modules: Map<string, (() => GeneratedModule)[]>;
}

let library: Library | null | undefined;

/** The installed aws-cdk-lib, or null when it is not installed (or not as expected). */
function cdkLibrary(): Library | null {
  if (library !== undefined) return library;
  try {
    const root = path.dirname(require.resolve('aws-cdk-lib/package.json'));
    const classes = fs.readFileSync(
      path.join(root, 'cloudformation-include', 'cfn-types-2-classes.json'),
      'utf8',
    );
    library = { root, classes, modules: new Map() };
  } catch {
    library = null;
  }
  return library;
}

/**
 * The generated L1 files of a module (`aws-dynamodb`), each read once when first needed: the one
 * named after the module (`dynamodb.generated.js`) first, as it holds the L1s of most modules.
 */
function generatedModules(lib: Library, module: string): (() => GeneratedModule)[] {
  let modules = lib.modules.get(module);
  if (!modules) {
    const dir = path.join(lib.root, module, 'lib');
    const main = `${module.replace(/^aws-/, '')}.generated.js`;
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((name) => name.endsWith('.generated.js'));
    } catch {
      names = [];
    }
    names.sort((a, b) => Number(b === main) - Number(a === main) || (a < b ? -1 : 1));
    modules = names.map((name) => {
      let read: GeneratedModule | undefined;
      return () => (read ??= new GeneratedModule(fs.readFileSync(path.join(dir, name))));
    });
    lib.modules.set(module, modules);
  }
  return modules;
}

/** A resource type's name: what may be searched for in the map without escaping. */
const TYPE_NAME = /^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/;
/** What follows a type's name in the map: `: "aws-cdk-lib/aws-dynamodb.CfnTable"`. */
const CLASS_ENTRY = /^\s*:\s*"aws-cdk-lib\/([a-z0-9-]+)\.(Cfn[A-Za-z0-9_]+)"/;

/** The properties of a resource type, or undefined when aws-cdk-lib is absent or has no L1 for the type. */
export function resourceShape(resourceType: string): PropertyType | undefined {
  const lib = cdkLibrary();
  if (!lib || !TYPE_NAME.test(resourceType)) return undefined;
  const key = lib.classes.indexOf(`"${resourceType}"`);
  const match =
    key < 0 ? null : CLASS_ENTRY.exec(lib.classes.slice(key + resourceType.length + 2, key + 200));
  if (!match) return undefined;
  const [, module, className] = match;
  const parser = `${className}PropsFromCloudFormation`;
  for (const read of generatedModules(lib, module)) {
    const source = read();
    if (source.has(parser)) return source.propertiesOf(parser) && source.objectShape(parser);
  }
  return undefined;
}

/** Where the table comes from, for messages: `aws-cdk-lib 2.276.0`. */
function tableSource(lib: Library): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(lib.root, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return `aws-cdk-lib ${String(manifest.version)}`;
  } catch {
    return 'aws-cdk-lib';
  }
}

// ---------------------------------------------------------------------------------------------
// Paths against the table
// ---------------------------------------------------------------------------------------------

/** Why a path goes nowhere in one type: the step where it fails, and the reason in words. */
interface Dead {
  readonly step: number;
  readonly reason: string;
  /** Whether an object lacks the step's name: its names make the best did-you-mean. */
  readonly unknownName?: boolean;
}

/**
 * Whether some resource of one of `resourceTypes` can have a value at the path: undefined when one
 * can (or when one of the types is not known, which may have it), else why none can, naming the
 * step that fails in each type with a did-you-mean. `[*]` and `[N]` must follow a list; a map or a
 * JSON property (a policy document) takes any path below it.
 */
export function pathProblem(
  resourceTypes: readonly string[],
  steps: readonly PathStep[],
): string | undefined {
  if (resourceTypes.length === 0 || steps.length === 0) return undefined;
  const dead: { type: string; why: Dead }[] = [];
  for (const type of resourceTypes) {
    const shape = resourceShape(type);
    if (!shape) return undefined;
    const why = follow(shape, steps, 0);
    if (!why) return undefined;
    dead.push({ type, why });
  }
  const reasons = dead.map(({ type, why }) => (dead.length === 1 ? why.reason : `${type}: ${why.reason}`));
  const types = resourceTypes.join(' or ');
  return `no ${types} has a property at '${renderPath(steps)}': ${reasons.join('; ')} (by the CloudFormation types of ${tableSource(cdkLibrary()!)})`;
}

/** Follows `steps` from `shape` (reached by the steps before `i`): undefined when the path can exist. */
function follow(shape: Shape, steps: readonly PathStep[], i: number): Dead | undefined {
  if (i === steps.length) return undefined;
  const step = steps[i];
  const here = renderPath(steps.slice(0, i));
  switch (shape.kind) {
    case 'json':
      return undefined;
    case 'union': {
      const outcomes = shape.members.map((member) => follow(member, steps, i));
      if (outcomes.some((outcome) => outcome === undefined)) return undefined;
      // The member that went furthest says best what was meant; at a tie, an object's names do.
      const rank = (dead: Dead) => dead.step * 2 + Number(dead.unknownName === true);
      return (outcomes as Dead[]).reduce((a, b) => (rank(b) > rank(a) ? b : a));
    }
    case 'list':
      if (step.kind !== 'property') return follow(shape.element, steps, i + 1);
      return {
        step: i,
        reason: `${here} is a list, so '${step.name}' cannot follow it: write ${here}[*].${step.name} for every element, or ${here}[N].${step.name} for one`,
      };
    case 'map':
      if (step.kind === 'property') return follow(shape.element, steps, i + 1);
      return {
        step: i,
        reason: `${here} is a map (named entries), not a list, so ${renderPath([step])} cannot follow it`,
      };
    case 'scalar':
      return {
        step: i,
        reason: `${here} is a ${shape.type}, so ${step.kind === 'property' ? `it has no property '${step.name}'` : `${renderPath([step])} cannot follow it (it is not a list)`}`,
      };
    default: {
      const properties = shape.properties();
      if (!properties) return undefined;
      if (step.kind !== 'property')
        return {
          step: i,
          reason: `${here} is an object, not a list, so ${renderPath([step])} cannot follow it`,
        };
      const child = properties.get(step.name);
      if (child) return follow(child, steps, i + 1);
      const names = [...properties.keys()];
      const within = here ? `${here} has` : 'the resource has';
      const hint = didYouMean(step.name, names);
      return { step: i, reason: `${within} no property '${step.name}'${hint}`, unknownName: true };
    }
  }
}
