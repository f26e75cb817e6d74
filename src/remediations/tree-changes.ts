import type { IConstruct, Node } from 'constructs';

/**
 * Counts the constructs added to or removed from any construct tree, so that a kept list of a
 * stack's constructs is walked again only when some tree changed, not after every fix: on a stack
 * of hundreds of resources, walking it after each fix is most of the fixes' time.
 *
 * A construct joins a tree only through its scope's `Node.addChild` (called by the `Node`
 * constructor) and leaves it only through `Node.tryRemoveChild`; both are wrapped, on the `Node`
 * class of each tree seen, to count. The wrapping is proven on a probe tree of that class before it
 * is trusted: when the constructs library does not add or remove children this way (another
 * version), its trees count as changed at every look, as if nothing were tracked.
 */
let changes = 0;

type NodeMethods = Record<'addChild' | 'tryRemoveChild', (...args: unknown[]) => unknown>;

/** Node prototypes by whether their changes are counted (proven on a probe tree). */
const counted = new WeakMap<object, boolean>();

function wrapped(prototype: NodeMethods): boolean {
  const { addChild, tryRemoveChild } = prototype;
  if (typeof addChild !== 'function' || typeof tryRemoveChild !== 'function') return false;
  prototype.addChild = function (this: unknown, ...args: unknown[]) {
    changes++;
    return addChild.apply(this, args);
  };
  prototype.tryRemoveChild = function (this: unknown, ...args: unknown[]) {
    changes++;
    return tryRemoveChild.apply(this, args);
  };
  return true;
}

/** Builds a root and a child with the `Node` class itself, removes the child, and sees both counted. */
function probe(nodeClass: new (host: unknown, scope: unknown, id: string) => Node): boolean {
  try {
    const root = { node: undefined as unknown as Node };
    root.node = new nodeClass(root, undefined, '');
    const before = changes;
    const child = { node: undefined as unknown as Node };
    child.node = new nodeClass(child, root, 'Probe');
    const added = changes > before && root.node.tryFindChild('Probe') === child;
    const afterAdding = changes;
    return added && root.node.tryRemoveChild('Probe') && changes > afterAdding;
  } catch {
    return false;
  }
}

function isCounted(node: Node): boolean {
  const prototype = Object.getPrototypeOf(node) as NodeMethods | null;
  if (!prototype) return false;
  let known = counted.get(prototype);
  if (known === undefined) {
    known =
      wrapped(prototype) &&
      probe(node.constructor as new (host: unknown, scope: unknown, id: string) => Node);
    counted.set(prototype, known);
  }
  return known;
}

/**
 * A mark of the trees' state after looking `constructs` over (a whole tree, or a stack's part of
 * it): the same mark later means no construct was added or removed anywhere since. Undefined when
 * some construct's changes cannot be counted: then the constructs must be looked over every time.
 */
export function treeStateAfterLooking(constructs: Iterable<IConstruct>): number | undefined {
  for (const construct of constructs) if (!isCounted(construct.node)) return undefined;
  return changes;
}

/** Whether a construct was added or removed since `state` (from `treeStateAfterLooking`). */
export function treeChangedSince(state: number | undefined): boolean {
  return state === undefined || state !== changes;
}
