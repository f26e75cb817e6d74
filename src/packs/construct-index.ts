import { CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { ConstructMetadata } from '../assembly';

/** CDK's metadata type for the logical id each CfnElement records of itself. */
const LOGICAL_ID_METADATA = 'aws:cdk:logicalId';

/** What an evaluation is about, as the engine names it. */
interface Subject {
  readonly stackId: string;
  readonly logicalId: string;
  readonly constructPath?: string;
}

/**
 * The construct tree under the validated root, indexed once per validation, so every evaluation
 * finds the construct it belongs to: its CfnResource (or other CfnElement) by stack and logical id;
 * else the nearest construct on its `aws:cdk:path`; else its stack; else the root.
 */
export class ConstructIndex {
  private readonly byPath = new Map<string, IConstruct>();
  private readonly elements = new Map<string, CfnElement>();

  /** `recorded`: the synthesized assembly's metadata, where CDK has resolved every logical id already. */
  constructor(
    private readonly root: IConstruct,
    recorded?: ConstructMetadata,
  ) {
    for (const construct of root.node.findAll()) {
      this.byPath.set(construct.node.path, construct);
      if (CfnElement.isCfnElement(construct)) {
        const stack = Stack.of(construct);
        const logicalId =
          recordedLogicalId(construct, recorded) ?? (stack.resolve(construct.logicalId) as string);
        this.elements.set(elementKey(stack.node.path, logicalId), construct);
      }
    }
  }

  stacks(): Stack[] {
    return [...this.byPath.values()].filter(Stack.isStack);
  }

  /** The CfnResource the template entry was rendered from, when there is one. */
  elementOf(subject: Subject): CfnResource | undefined {
    const element = this.elements.get(elementKey(subject.stackId, subject.logicalId));
    return element && CfnResource.isCfnResource(element) ? element : undefined;
  }

  /** The construct a finding is reported against and whose acknowledgements cover it. */
  subjectOf(subject: Subject): IConstruct {
    return (
      this.elements.get(elementKey(subject.stackId, subject.logicalId)) ??
      this.nearest(subject.constructPath) ??
      this.byPath.get(subject.stackId) ??
      this.root
    );
  }

  private nearest(path: string | undefined): IConstruct | undefined {
    const segments = path?.split('/') ?? [];
    for (let length = segments.length; length > 0; length--) {
      const found = this.byPath.get(segments.slice(0, length).join('/'));
      if (found) return found;
    }
    return undefined;
  }
}

/**
 * The logical id CDK resolved into the assembly for this element, without resolving it again (the
 * costliest part of indexing a large app). Only the entry the element recorded of itself counts:
 * its metadata data is the element's own logical-id token. An entry anyone else added (a claim of
 * some other resource's id) is never read, so no resource can borrow this element's identity.
 */
function recordedLogicalId(element: CfnElement, recorded: ConstructMetadata | undefined): string | undefined {
  if (!recorded) return undefined;
  const own = element.node.metadata
    .filter((entry) => entry.type === LOGICAL_ID_METADATA)
    .findIndex((entry) => entry.data === element.logicalId);
  const resolved = own === -1 ? undefined : recorded.recordedLogicalIds(element.node.path)[own];
  return typeof resolved === 'string' ? resolved : undefined;
}

function elementKey(stackPath: string, logicalId: string): string {
  return `${stackPath}\u0000${logicalId}`;
}
