import * as fc from 'fast-check';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { TemplateResolver } from '../../src/engine/resolve';
import { forgetRenderedStack, renderedStackOf } from '../../src/remediations/rendered-stack';
import { constructsOf } from '../../src/remediations/rendered';
import { settings } from './arbitraries';

/**
 * The remediations keep a stack's constructs, what fixes select from them and its resources by type,
 * and bring them up to date from what was added to the tree since they last looked (see
 * `RenderedStack.refresh`). Whatever constructs are added or removed, where, and however they are
 * named (ids that are array indices are listed first among their siblings), what is kept must be what
 * a fresh walk of the stack finds.
 */

const SEED = 1130;
const NUM_RUNS = 60;

const TYPES = ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SNS::Topic'];

type Operation =
  | {
      readonly kind: 'construct' | 'resource';
      readonly parent: number;
      readonly indexId: boolean;
      readonly type: number;
    }
  | { readonly kind: 'remove'; readonly which: number }
  | { readonly kind: 'refresh' };

// Mostly additions: a removal makes the remediations walk the stack again, which is the easy case.
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom('construct' as const, 'resource' as const),
      // -1: the stack itself, where a resource's logical id is its id (an array index, listed first).
      parent: fc.oneof(fc.constant(-1), fc.nat()),
      indexId: fc.boolean(),
      type: fc.nat(TYPES.length - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), which: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'refresh' as const }) },
);

/** The constructs a selection takes: those whose id ends in an even digit. */
const selects = (construct: IConstruct) => /[02468]$/.test(construct.node.id);

function paths(constructs: readonly IConstruct[]): string[] {
  return constructs.map((construct) => construct.node.path);
}

function listedByType(resolver: TemplateResolver, type: string): Array<[string, unknown]> {
  return resolver.resourcesOfType(type).map((entry) => [entry.logicalId, entry.resource]);
}

function expectKeptAsWalked(stack: Stack): void {
  const rendered = renderedStackOf(stack);
  const walked = constructsOf(stack);
  expect(paths(rendered.constructs())).toEqual(paths(walked));
  expect(paths(rendered.selected('even', (c) => (selects(c) ? c : undefined)))).toEqual(
    paths(walked.filter(selects)),
  );
  const template = rendered.template();
  const logicalIds = walked
    .filter(CfnResource.isCfnResource)
    .map((resource) => stack.resolve(resource.logicalId) as string);
  expect(Object.keys(template.template.Resources ?? {}).sort()).toEqual([...logicalIds].sort());
  for (const type of TYPES) {
    expect(listedByType(rendered.resolverFor(template), type)).toEqual(
      listedByType(new TemplateResolver([template]), type),
    );
  }
}

function apply(stack: Stack, operations: readonly Operation[]): void {
  let next = 0;
  for (const op of operations) {
    const constructs = constructsOf(stack);
    if (op.kind === 'refresh') {
      renderedStackOf(stack).refresh();
      expectKeptAsWalked(stack);
    } else if (op.kind === 'remove') {
      if (constructs.length === 0) continue;
      const removed = constructs[op.which % constructs.length];
      removed.node.scope?.node.tryRemoveChild(removed.node.id);
    } else {
      const parent = op.parent < 0 ? stack : [stack, ...constructs][op.parent % (constructs.length + 1)];
      const id = op.indexId ? `${next++}` : `C${next++}`;
      if (op.kind === 'construct') new Construct(parent, id);
      else new CfnResource(parent, id, { type: TYPES[op.type] });
    }
  }
  renderedStackOf(stack).refresh();
  expectKeptAsWalked(stack);
}

it('what the remediations keep of a stack is what a walk of the stack finds, whatever was added or removed', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      new Construct(stack, 'Start');
      forgetRenderedStack(stack);
      // Made before the changes, so that each is brought up to date rather than made afresh.
      renderedStackOf(stack).selected('even', (c) => (selects(c) ? c : undefined));
      for (const type of TYPES)
        renderedStackOf(stack).resolverFor(renderedStackOf(stack).template()).resourcesOfType(type);
      apply(stack, operations);
    }),
    settings(SEED, NUM_RUNS),
  );
});
