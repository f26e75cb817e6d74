import { CentralWaiver } from '../catalogue/model';
import { compileConstructPathGlob, ConstructPathGlob } from '../waivers/glob';
import type { Waiver } from './evaluate';
import type { StackTemplate } from './template';

/**
 * The catalogue's central waivers, matched to findings by control and construct path. A glob must
 * begin with the path of a stack being judged, and covers only that stack and its nested stacks: one
 * that names no stack (a Stage, a typo, a stack of another app) is refused, and `Pipeline/**` does
 * not reach into a Stage built inside the Pipeline stack. So a pattern never reaches wider than a stack.
 */

/** How a central waiver is named in evaluations, reviews and CDK's report: its control and glob. */
export function centralWaiverId(entry: CentralWaiver): string {
  return `central:${entry.control}:${entry.path}`;
}

/** The deepest stack whose path a glob's written-out start (`literalSegments`) begins with. */
export function namedStackOf(
  literalSegments: readonly string[],
  isStack: (path: string) => boolean,
): string | undefined {
  for (let length = literalSegments.length; length > 0; length--) {
    const path = literalSegments.slice(0, length).join('/');
    if (isStack(path)) return path;
  }
  return undefined;
}

/** Whether a central waiver is aimed at an app: its path starts where one of the app's stacks does. */
export function isAimedAt(entry: CentralWaiver, stackIds: readonly string[]): boolean {
  const first = entry.path.split('/')[0];
  return stackIds.some((stackId) => stackId.split('/')[0] === first);
}

export const NAMES_NO_STACK =
  "its path does not begin with a stack's path (a central waiver must name at least a stack)";

export class CentralWaiverIndex {
  private readonly byControl = new Map<string, { entry: CentralWaiver; glob: ConstructPathGlob }[]>();
  /** Each judged stack, and the parent of a nested one. */
  private readonly parents = new Map<string, string | undefined>();

  constructor(entries: readonly CentralWaiver[], stacks: readonly StackTemplate[]) {
    for (const stack of stacks) this.parents.set(stack.stackId, stack.parent?.stackId);
    for (const entry of entries) {
      const list = this.byControl.get(entry.control) ?? [];
      list.push({ entry, glob: compileConstructPathGlob(entry.path) });
      this.byControl.set(entry.control, list);
    }
  }

  /** The first entry of the file for the control that covers the resource, as a waiver. */
  find(controlId: string, constructPath: string | undefined, stackId: string): Waiver | undefined {
    if (constructPath === undefined) return undefined;
    for (const { entry, glob } of this.byControl.get(controlId) ?? []) {
      if (!glob.covers(constructPath)) continue;
      const named = this.namedStack(glob.literalSegments);
      if (named !== undefined && !this.isWithin(stackId, named)) continue;
      return waiverOf(entry, named !== undefined);
    }
    return undefined;
  }

  private namedStack(literalSegments: readonly string[]): string | undefined {
    return namedStackOf(literalSegments, (path) => this.parents.has(path));
  }

  /** Whether the stack is `named` or nested in it, at any depth. */
  private isWithin(stackId: string | undefined, named: string): boolean {
    for (let at = stackId; at !== undefined; at = this.parents.get(at)) if (at === named) return true;
    return false;
  }
}

function waiverOf(entry: CentralWaiver, namesStack: boolean): Waiver {
  return {
    id: centralWaiverId(entry),
    form: 'central',
    reason: entry.reason,
    ticket: entry.ticket,
    expires: entry.expires,
    ...(entry.approvedBy !== undefined && { approvedBy: entry.approvedBy }),
    ...(!namesStack && { problems: [NAMES_NO_STACK] }),
    acknowledgedAt: entry.path,
    source: { file: entry.source.file, line: entry.source.line },
  };
}
