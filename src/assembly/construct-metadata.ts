import * as nodePath from 'path';
import type { WaiverScope } from '../catalogue/model';
import {
  ACKNOWLEDGED_RULES_METADATA_TYPE,
  firstAcknowledgement,
  waiverScopeOfPath,
} from '../engine/acknowledgement-ids';
import type { Waiver } from '../engine/evaluate';
import type { SourceLocation } from './types';

/**
 * The construct metadata CDK writes into a cloud assembly (`<Stack>.metadata.json`, or the manifest
 * for older versions), per construct path: logical ids, acknowledgements, template files and
 * creation stack traces. It stands in for the construct tree the pack reads at synth time.
 */

/** One acknowledged id on one construct, as CDK wrote it into the assembly. */
export interface AssemblyAcknowledgement {
  readonly stackId: string;
  readonly constructPath: string;
  /** As acknowledged: `Enterprise::Enterprise-S3.1`, `Annotation::Enterprise-S3.1`, another plugin's. */
  readonly id: string;
  /** The acknowledgement's text (the reason), as CDK stored it. */
  readonly text: unknown;
  /** What it was made on: a construct in a stack, a stack, a Stage or the App. */
  readonly scope: WaiverScope;
  readonly source?: SourceLocation;
}

export interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
  readonly trace?: readonly string[];
}

const LOGICAL_ID = 'aws:cdk:logicalId';
const TEMPLATE_FILE = 'aws:cdk:templateFile';
const CREATION_STACK = 'aws:cdk:creationStack';

/** `<scope>/<id>.NestedStack/<id>.NestedStackResource`, the resource CDK's NestedStack renders in its parent. */
const NESTED_STACK_RESOURCE = /^(.*)\/([^/]+)\.NestedStack\/\2\.NestedStackResource$/;

/** The path of the nested stack whose resource in the parent has this construct path, if it is one. */
export function nestedStackPathOf(resourcePath: string): string | undefined {
  const match = NESTED_STACK_RESOURCE.exec(resourcePath);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The path and its ancestors, closest first (`A/B/C`, `A/B`, `A`). */
export function pathAndAncestors(path: string): string[] {
  const segments = path.split('/');
  return segments.map((_, i) => segments.slice(0, segments.length - i).join('/'));
}

function isUnder(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

export class ConstructMetadata {
  private readonly byPath = new Map<string, MetadataEntry[]>();
  /** Per stack path: logical id to the construct paths whose metadata names it. */
  private readonly logicalIds = new Map<string, Map<string, string[]>>();
  /** Every stack path the metadata shows. */
  private readonly stacks: ReadonlySet<string>;
  /** `sourceOf` by construct path, as found. */
  private readonly sources = new Map<string, SourceLocation | undefined>();

  /** The Stages' construct paths. */
  private readonly stages: ReadonlySet<string>;

  /**
   * `metadataMaps`: CDK's maps from `/construct/path` to entries; `stackPaths`: the top-level stacks;
   * `stagePaths`: the Stages (their nested assemblies' display names).
   */
  constructor(
    metadataMaps: readonly Record<string, readonly MetadataEntry[]>[],
    stackPaths: readonly string[],
    stagePaths: readonly string[] = [],
  ) {
    this.stages = new Set(stagePaths);
    for (const map of metadataMaps) {
      for (const [key, entries] of Object.entries(map)) {
        if (!Array.isArray(entries)) continue;
        const path = key.replace(/^\//, '');
        this.byPath.set(path, [...(this.byPath.get(path) ?? []), ...entries.filter(isEntry)]);
      }
    }
    this.stacks = this.stackPaths(stackPaths);
    for (const [path, entries] of this.byPath) {
      const stack = owningStack(path, this.stacks);
      if (stack === undefined) continue;
      for (const entry of entries) {
        if (entry.type !== LOGICAL_ID || typeof entry.data !== 'string') continue;
        const ids = this.logicalIds.get(stack) ?? new Map<string, string[]>();
        ids.set(entry.data, [...(ids.get(entry.data) ?? []), path]);
        this.logicalIds.set(stack, ids);
      }
    }
  }

  /** Every stack path the metadata shows: top-level stacks, those with a template file, nested stacks by their resource. */
  private stackPaths(topLevel: readonly string[]): Set<string> {
    const stacks = new Set(topLevel);
    for (const [path, entries] of this.byPath) {
      if (entries.some((e) => e.type === TEMPLATE_FILE)) stacks.add(path);
      const nested = nestedStackPathOf(path);
      if (nested && entries.some((e) => e.type === LOGICAL_ID)) stacks.add(nested);
    }
    return stacks;
  }

  /**
   * The data of a construct's `aws:cdk:logicalId` entries, in the order its metadata holds them:
   * CDK resolved each at synth, so the one a CfnElement recorded of itself is its logical id.
   */
  recordedLogicalIds(constructPath: string): readonly unknown[] {
    return this.entriesOf(constructPath)
      .filter((entry) => entry.type === LOGICAL_ID)
      .map((entry) => entry.data);
  }

  /** The construct paths whose `aws:cdk:logicalId` metadata names this resource of this stack. */
  pathsOfLogicalId(stackId: string, logicalId: string): readonly string[] {
    return this.logicalIds.get(stackId)?.get(logicalId) ?? [];
  }

  /**
   * A resource's construct path, as the tree would give it: the paths CDK's metadata names for its
   * logical id and the template's `aws:cdk:path`. Where they disagree (metadata a user added), only
   * their common ancestor is trusted, never a path outside the stack: an acknowledgement must not
   * reach a resource through a path claimed for it.
   */
  resourcePathOf(stackId: string, logicalId: string, templatePath: string | undefined): string | undefined {
    const claims = new Set(this.pathsOfLogicalId(stackId, logicalId));
    if (templatePath !== undefined) claims.add(templatePath);
    if (claims.size === 0) return undefined;
    const common = commonAncestor([...claims]);
    return isUnder(common, stackId) ? common : stackId;
  }

  /** The template file CDK recorded for a stack (`aws:cdk:templateFile`), when it recorded exactly one. */
  templateFileOf(stackPath: string): string | undefined {
    const files = new Set(
      this.entriesOf(stackPath)
        .filter((e) => e.type === TEMPLATE_FILE && typeof e.data === 'string')
        .map((e) => e.data as string),
    );
    return files.size === 1 ? [...files][0] : undefined;
  }

  /** The stack path CDK recorded a template file for, when exactly one. */
  stackPathOfTemplateFile(file: string): string | undefined {
    const paths = [...this.byPath.keys()].filter((path) => this.templateFileOf(path) === file);
    return paths.length === 1 ? paths[0] : undefined;
  }

  /** The acknowledgement closest to a construct path (itself, then its ancestors) that covers the finding. */
  waiverFor(constructPath: string, findingId: string, packNamespace: string): Waiver | undefined {
    const scopes = pathAndAncestors(constructPath).map((path) => ({
      path,
      entries: this.entriesOf(path)
        .filter((e) => e.type === ACKNOWLEDGED_RULES_METADATA_TYPE)
        .map((e) => {
          const source = e.trace ? firstUserFrame(e.trace) : undefined;
          return { data: e.data, ...(source && { source }) };
        }),
      scope: this.scopeOf(path),
    }));
    return firstAcknowledgement(scopes, findingId, packNamespace);
  }

  /** What a construct path is for the policy's widestScope (see `waiverScopeOfPath`). */
  scopeOf(path: string): WaiverScope {
    return waiverScopeOfPath(path, {
      isStack: (candidate) => this.stacks.has(candidate),
      isStage: (candidate) => this.stages.has(candidate),
    });
  }

  /**
   * Every acknowledgement made in the assembly, whether or not it covers a finding, once each: the
   * stack it was made in (its own path when it lies in none), its construct path, id and text as
   * written, and where the user's code made it.
   */
  acknowledgements(): AssemblyAcknowledgement[] {
    const found = new Map<string, AssemblyAcknowledgement>();
    for (const [constructPath, entries] of this.byPath) {
      for (const entry of entries) {
        if (entry.type !== ACKNOWLEDGED_RULES_METADATA_TYPE) continue;
        if (typeof entry.data !== 'object' || entry.data === null) continue;
        const source = entry.trace ? firstUserFrame(entry.trace) : undefined;
        for (const [id, text] of Object.entries(entry.data as Record<string, unknown>)) {
          const key = JSON.stringify([constructPath, id]);
          if (found.has(key)) continue;
          const stackId = owningStack(constructPath, this.stacks) ?? constructPath;
          const scope = this.scopeOf(constructPath);
          found.set(key, { stackId, constructPath, id, text, scope, ...(source && { source }) });
        }
      }
    }
    return [...found.values()];
  }

  /**
   * The user's source line that created a construct: its creation stack trace, else that of its
   * `Resource` or `Default` child (an L2 and its L1), else that of its closest ancestor with one.
   */
  sourceOf(constructPath: string): SourceLocation | undefined {
    // Asked once per evaluation, and a resource has several: each path's trace is read once.
    if (this.sources.has(constructPath)) return this.sources.get(constructPath);
    const found = this.readSourceOf(constructPath);
    this.sources.set(constructPath, found);
    return found;
  }

  private readSourceOf(constructPath: string): SourceLocation | undefined {
    const [self, ...ancestors] = pathAndAncestors(constructPath);
    for (const path of [self, `${self}/Resource`, `${self}/Default`, ...ancestors]) {
      const found = this.creationSourceOf(path);
      if (found) return found;
    }
    return undefined;
  }

  private creationSourceOf(path: string): SourceLocation | undefined {
    for (const entry of this.entriesOf(path)) {
      // `aws:cdk:creationStack` since CDK 2.25x; before, the logical id entry carried the trace.
      const trace =
        entry.type === CREATION_STACK ? entry.data : entry.type === LOGICAL_ID ? entry.trace : undefined;
      const found = Array.isArray(trace) ? firstUserFrame(trace) : undefined;
      if (found) return found;
    }
    return undefined;
  }

  private entriesOf(path: string): readonly MetadataEntry[] {
    return this.byPath.get(path) ?? [];
  }
}

function isEntry(entry: unknown): entry is MetadataEntry {
  return typeof entry === 'object' && entry !== null && typeof (entry as MetadataEntry).type === 'string';
}

/** The stack a construct path belongs to: the deepest stack path it lies under. */
function owningStack(path: string, stacks: ReadonlySet<string>): string | undefined {
  return pathAndAncestors(path).find((candidate) => stacks.has(candidate));
}

/** `waive()` calls CDK's acknowledge: its frame is this package's, never the user's (`.ts` in the sources, `.js` built). */
const WAIVE_MODULE = nodePath.resolve(__dirname, '..', 'waivers', 'waive');

function isPackageFrame(file: string): boolean {
  return (
    /[\\/]node_modules[\\/]/.test(file) ||
    file.startsWith('node:') ||
    file.startsWith('internal/') ||
    file.replace(/\.[jt]s$/, '') === WAIVE_MODULE
  );
}

/**
 * The first frame of the user's own code: CDK renders frames as `fn (file:line:col)` (`at ` in
 * front in acknowledgement traces) and folds library and Node frames into `...aws-cdk-lib...`.
 */
export function firstUserFrame(trace: readonly unknown[]): SourceLocation | undefined {
  for (const frame of trace) {
    if (typeof frame !== 'string') continue;
    const match =
      /\(([^()]+?):(\d+)(?::\d+)?\)\s*$/.exec(frame) ?? /^\s*at ([^()]+?):(\d+)(?::\d+)?\s*$/.exec(frame);
    if (!match) continue;
    const file = match[1];
    if (isPackageFrame(file)) continue;
    return { file, line: Number(match[2]) };
  }
  return undefined;
}

/** The deepest path all of them lie under (`A/B` for `A/B/C` and `A/B/D`). */
function commonAncestor(paths: readonly string[]): string {
  const [first, ...rest] = paths.map((p) => p.split('/'));
  let length = first.length;
  for (const segments of rest) {
    let i = 0;
    while (i < length && i < segments.length && segments[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join('/');
}
