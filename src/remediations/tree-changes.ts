import type { IConstruct, Node } from 'constructs';

/**
 * What was added to or removed from a construct tree, so that a kept list of a stack's constructs
 * is brought up to date from what was added since it was made, rather than by walking the stack
 * after every fix: on a stack of hundreds of resources, walking it after each fix was most of the
 * fixes' time.
 *
 * A construct joins a tree only through its scope's `Node.addChild` (called by the `Node`
 * constructor) and leaves it only through `Node.tryRemoveChild`; both are wrapped, on the `Node`
 * class of each tree seen, to write each tree's log. The wrapping is proven on a probe tree of that
 * class before it is trusted: when the constructs library does not add or remove children this way
 * (another version), its trees are walked at every look, as if nothing were logged.
 */
interface TreeLog {
  /** The constructs added to the tree, in the order they were added. */
  readonly added: IConstruct[];
  /** How many times a construct was removed. */
  removed: number;
}

/** Each tree's log, by its root. */
const logs = new WeakMap<IConstruct, TreeLog>();

function logOf(root: IConstruct): TreeLog {
  let log = logs.get(root);
  if (!log) {
    log = { added: [], removed: 0 };
    logs.set(root, log);
  }
  return log;
}

type NodeMethods = Record<'addChild' | 'tryRemoveChild', (this: Node, ...args: unknown[]) => unknown>;

/** Node prototypes by whether their trees are logged (proven on a probe tree). */
const logged = new WeakMap<object, boolean>();

function wrapped(prototype: NodeMethods): boolean {
  const { addChild, tryRemoveChild } = prototype;
  if (typeof addChild !== 'function' || typeof tryRemoveChild !== 'function') return false;
  prototype.addChild = function (this: Node, ...args: unknown[]) {
    const result = addChild.apply(this, args);
    logOf(this.root).added.push(args[0] as IConstruct);
    return result;
  };
  prototype.tryRemoveChild = function (this: Node, ...args: unknown[]) {
    logOf(this.root).removed++;
    return tryRemoveChild.apply(this, args);
  };
  return true;
}

type NodeClass = new (host: unknown, scope: unknown, id: string) => Node;

/** Builds a root and a child with the `Node` class itself, removes the child, and sees both logged. */
function probe(nodeClass: NodeClass): boolean {
  try {
    const root: { node?: Node } = {};
    root.node = new nodeClass(root, undefined, '');
    const log = logOf(root as IConstruct);
    const child: { node?: Node } = {};
    child.node = new nodeClass(child, root, 'Probe');
    const added =
      log.added.length === 1 && log.added[0] === child && root.node.tryFindChild('Probe') === child;
    return added && root.node.tryRemoveChild('Probe') && log.removed === 1;
  } catch {
    return false;
  }
}

function isLogged(node: Node): boolean {
  const prototype = Object.getPrototypeOf(node) as NodeMethods | null;
  if (!prototype) return false;
  let known = logged.get(prototype);
  if (known === undefined) {
    known = wrapped(prototype) && probe(node.constructor as NodeClass);
    logged.set(prototype, known);
  }
  return known;
}

/** Where a look over constructs of a tree ended in the tree's log. */
export interface TreeMark {
  readonly log: TreeLog;
  readonly added: number;
  readonly removed: number;
}

/**
 * A mark in the log of the tree of `constructs` (a whole tree, or a stack's part of it) after
 * looking them over; undefined when the changes of some construct's tree are not logged: then the
 * constructs must be looked over every time.
 */
export function markAfterLooking(constructs: Iterable<IConstruct>): TreeMark | undefined {
  let log: TreeLog | undefined;
  for (const construct of constructs) {
    if (!isLogged(construct.node)) return undefined;
    log ??= logOf(construct.node.root);
  }
  return log && { log, added: log.added.length, removed: log.removed };
}

/**
 * The constructs added to the tree since `mark`, in the order they were added; undefined when there
 * is no mark, or when a construct was removed since (then the constructs must be looked over again).
 */
export function addedSince(mark: TreeMark | undefined): readonly IConstruct[] | undefined {
  if (!mark || mark.log.removed !== mark.removed) return undefined;
  return mark.log.added.slice(mark.added);
}

/** Whether the constructs added since `mark` are all logged too, so the mark can move past them. */
export function allLogged(constructs: readonly IConstruct[]): boolean {
  return constructs.every((construct) => isLogged(construct.node));
}
