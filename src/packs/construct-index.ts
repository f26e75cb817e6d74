import { CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

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

  constructor(private readonly root: IConstruct) {
    for (const construct of root.node.findAll()) {
      this.byPath.set(construct.node.path, construct);
      if (CfnElement.isCfnElement(construct)) {
        const stack = Stack.of(construct);
        this.elements.set(
          elementKey(stack.node.path, stack.resolve(construct.logicalId) as string),
          construct,
        );
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

function elementKey(stackPath: string, logicalId: string): string {
  return `${stackPath}\u0000${logicalId}`;
}
