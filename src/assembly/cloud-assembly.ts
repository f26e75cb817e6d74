import * as fs from 'fs';
import * as path from 'path';
import type { CfnTemplate, StackTemplate } from '../engine/template';
import {
  AssemblyAcknowledgement,
  ConstructMetadata,
  MetadataEntry,
  nestedStackPathOf,
} from './construct-metadata';
import { isRegularFile, readTextFile, requireDirectory } from './files';
import { publishedObjectKeys } from './asset-keys';
import { InputError } from './input-error';
import { parseTemplateText } from './template-text';
import { JudgedInput, ReadOptions } from './types';
import { cdkUniqueId } from './unique-id';

/**
 * A cloud assembly (`cdk.out`) read into the stacks the pack judges at synth time: every stack of
 * the manifest and of the nested assemblies of Stages (CDK Pipelines stages included), by construct
 * path, and at any depth the nested stacks CDK writes as template files beside their parents.
 */

interface Artifact {
  readonly type?: unknown;
  readonly environment?: unknown;
  readonly displayName?: unknown;
  readonly properties?: {
    readonly templateFile?: unknown;
    readonly directoryName?: unknown;
    /** On a nested assembly: the Stage's construct path. */
    readonly displayName?: unknown;
  };
  readonly metadata?: unknown;
  readonly additionalMetadataFile?: unknown;
}

/** A top-level stack as the manifest lists it. */
interface ManifestStack {
  readonly stackId: string;
  /** Absolute path of its template file. */
  readonly file: string;
  readonly account?: string;
  readonly region?: string;
}

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';

export function readCloudAssembly(dir: string, options: ReadOptions): JudgedInput {
  const { found, metadata } = readManifests(dir);
  const reader = new StackReader(dir, metadata, options);
  for (const stack of found) reader.read(stack);
  const pathOf = (stackId: string, logicalId: string) => {
    const resource = reader.templates.get(stackId)?.Resources?.[logicalId];
    const templatePath = resource?.Metadata?.['aws:cdk:path'];
    return metadata.resourcePathOf(
      stackId,
      logicalId,
      typeof templatePath === 'string' ? templatePath : undefined,
    );
  };
  return {
    stacks: reader.stacks,
    templateFiles: reader.templateFiles,
    waiverFor: (subject) =>
      metadata.waiverFor(
        pathOf(subject.stackId, subject.logicalId) ?? subject.stackId,
        subject.findingId,
        options.packName,
      ),
    sourceOf: (constructPath) => metadata.sourceOf(constructPath),
    constructPathOf: pathOf,
  };
}

/**
 * The assembly's construct metadata alone, no template read: what the pack needs at synth beside
 * the templates it already has (the user's source lines, the logical ids CDK resolved).
 */
export function readConstructMetadata(dir: string): ConstructMetadata {
  return readManifests(dir).metadata;
}

/**
 * Every acknowledgement the assembly's construct metadata records, whether or not it covers a
 * finding, and whichever plugin it aims at (see `targetedFindingId`).
 */
export function listAcknowledgements(dir: string): AssemblyAcknowledgement[] {
  return readManifests(dir).metadata.acknowledgements();
}

/** The stacks of the assembly and its nested assemblies, and their construct metadata. */
function readManifests(dir: string): { found: ManifestStack[]; metadata: ConstructMetadata } {
  requireDirectory(dir, 'give the cloud assembly directory (cdk.out), or template files');
  const found: ManifestStack[] = [];
  const metadataMaps: Record<string, MetadataEntry[]>[] = [];
  const stagePaths: string[] = [];
  readAssembly(dir, { found, metadataMaps, stagePaths }, new Set());
  if (found.length === 0)
    throw new InputError(`${path.join(dir, 'manifest.json')}: the manifest lists no stacks`);
  const stackPaths = found.map((s) => s.stackId);
  return { found, metadata: new ConstructMetadata(metadataMaps, stackPaths, stagePaths) };
}

/** Reads one assembly directory's manifest, then the nested assemblies it names. */
function readAssembly(
  dir: string,
  into: {
    readonly found: ManifestStack[];
    readonly metadataMaps: Record<string, MetadataEntry[]>[];
    /** The construct paths of the Stages, from their nested assemblies' display names. */
    readonly stagePaths: string[];
  },
  visited: Set<string>,
): void {
  const { found, metadataMaps } = into;
  const real = fs.realpathSync(dir);
  if (visited.has(real)) return;
  visited.add(real);
  const manifestFile = path.join(dir, 'manifest.json');
  if (!isRegularFile(manifestFile)) {
    throw new InputError(
      `${dir}: no manifest.json, so this is not a cloud assembly (run cdk synth first, or pass template files)`,
    );
  }
  const manifest = parseJsonFile(manifestFile) as { artifacts?: unknown };
  const artifacts = isObject(manifest.artifacts) ? (manifest.artifacts as Record<string, Artifact>) : {};
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (!isObject(artifact as unknown)) continue;
    if (artifact.type === 'aws:cloudformation:stack') {
      found.push(manifestStack(dir, manifestFile, artifactId, artifact));
      metadataMaps.push(...metadataOf(dir, manifestFile, artifactId, artifact));
    } else if (artifact.type === 'cdk:cloud-assembly') {
      const directoryName = artifact.properties?.directoryName;
      if (typeof directoryName !== 'string')
        throw new InputError(`${manifestFile}: nested assembly '${artifactId}' names no directory`);
      const nested = path.join(dir, directoryName);
      requireDirectory(
        nested,
        `${manifestFile} names it for '${artifactId}' (a half-written cdk.out? run cdk synth again)`,
      );
      const stagePath = artifact.properties?.displayName;
      if (typeof stagePath === 'string') into.stagePaths.push(stagePath);
      readAssembly(nested, into, visited);
    }
  }
}

function manifestStack(
  dir: string,
  manifestFile: string,
  artifactId: string,
  artifact: Artifact,
): ManifestStack {
  const templateFile = artifact.properties?.templateFile;
  if (typeof templateFile !== 'string')
    throw new InputError(`${manifestFile}: stack '${artifactId}' names no template file`);
  const file = path.join(dir, templateFile);
  if (!isRegularFile(file)) {
    throw new InputError(
      `${manifestFile}: the template of stack '${artifactId}', ${templateFile}, is missing (a half-written cdk.out? run cdk synth again)`,
    );
  }
  // CDK's display name is the stack's construct path, the id the pack gives it.
  const stackId = typeof artifact.displayName === 'string' ? artifact.displayName : artifactId;
  return { stackId, file, ...environmentOf(manifestFile, artifactId, artifact.environment) };
}

/** `aws://<account>/<region>`, where `unknown-account` and `unknown-region` mean environment-agnostic. */
function environmentOf(
  manifestFile: string,
  artifactId: string,
  environment: unknown,
): { account?: string; region?: string } {
  if (environment === undefined) return {};
  const match = typeof environment === 'string' ? /^aws:\/\/([^/]+)\/([^/]+)$/.exec(environment) : null;
  if (!match)
    throw new InputError(
      `${manifestFile}: stack '${artifactId}' has an environment that is not aws://<account>/<region>`,
    );
  return {
    ...(match[1] === 'unknown-account' ? {} : { account: match[1] }),
    ...(match[2] === 'unknown-region' ? {} : { region: match[2] }),
  };
}

/** The stack's construct metadata: in the manifest (older CDK) and in its `additionalMetadataFile`. */
function metadataOf(
  dir: string,
  manifestFile: string,
  artifactId: string,
  artifact: Artifact,
): Record<string, MetadataEntry[]>[] {
  const maps: Record<string, MetadataEntry[]>[] = [];
  if (isObject(artifact.metadata)) maps.push(artifact.metadata as Record<string, MetadataEntry[]>);
  if (typeof artifact.additionalMetadataFile === 'string') {
    const file = path.join(dir, artifact.additionalMetadataFile);
    if (!isRegularFile(file)) {
      throw new InputError(
        `${manifestFile}: the metadata of stack '${artifactId}', ${artifact.additionalMetadataFile}, is missing (a half-written cdk.out? run cdk synth again)`,
      );
    }
    const data = parseJsonFile(file);
    if (isObject(data)) maps.push(data as Record<string, MetadataEntry[]>);
  }
  return maps;
}

/** Reads each stack's template and, recursively, those of its nested stacks. */
class StackReader {
  readonly stacks: StackTemplate[] = [];
  readonly templates = new Map<string, CfnTemplate>();
  readonly templateFiles = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly metadata: ConstructMetadata,
    private readonly options: ReadOptions,
  ) {}

  read(stack: ManifestStack): void {
    this.add({ stackId: stack.stackId, account: stack.account, region: stack.region }, stack.file);
  }

  private add(identity: Omit<StackTemplate, 'template' | 'rating' | 'ratingSource'>, file: string): void {
    if (this.templates.has(identity.stackId))
      throw new InputError(`${file}: a second template for stack '${identity.stackId}'`);
    const template = parseTemplateText(readTextFile(file), file, { requireResources: false });
    this.templates.set(identity.stackId, template);
    this.templateFiles.set(identity.stackId, path.relative(this.root, file));
    this.stacks.push({
      ...withoutUndefined(identity),
      template,
      rating: this.options.rating,
      ratingSource: this.options.ratingSource,
    });
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === NESTED_STACK_TYPE) this.addNested(identity, file, logicalId);
    }
  }

  /**
   * A nested stack CDK wrote beside its parent. One whose template is not found stays unopened: the
   * engine reports its resource in the parent as unverifiable.
   */
  private addNested(
    parent: Omit<StackTemplate, 'template' | 'rating' | 'ratingSource'>,
    parentFile: string,
    logicalId: string,
  ): void {
    const resource = this.templates.get(parent.stackId)!.Resources![logicalId];
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const templatePath = resource.Metadata?.['aws:cdk:path'];
    const resourcePath = this.metadata.resourcePathOf(
      parent.stackId,
      logicalId,
      typeof templatePath === 'string' ? templatePath : undefined,
    );
    const dir = path.dirname(parentFile);
    const stackId =
      (resourcePath && nestedStackPathOf(resourcePath)) ??
      (typeof assetPath === 'string' ? this.metadata.stackPathOfTemplateFile(assetPath) : undefined);
    if (!stackId || this.templates.has(stackId)) return;
    const candidates = [
      this.metadata.templateFileOf(stackId),
      `${cdkUniqueId(stackId.split('/'))}.nested.template.json`,
      typeof assetPath === 'string' ? assetPath : undefined,
    ];
    const file = candidates
      .filter((name): name is string => name !== undefined)
      .map((name) => path.join(dir, name))
      .find(isRegularFile);
    if (!file) return;
    const { account, region } = parent;
    const objectKeys = publishedObjectKeys(dir, path.basename(file));
    this.add({ stackId, account, region, parent: { stackId: parent.stackId, logicalId, objectKeys } }, file);
  }
}

function parseJsonFile(file: string): unknown {
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `${file}: not valid JSON (${(e as Error).message}); a half-written cdk.out? run cdk synth again`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
