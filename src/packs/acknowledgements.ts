import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { firstUserFrame, SourceLocation } from '../assembly';
import { AcknowledgingScope, firstAcknowledgement, targetedFindingId } from '../engine/acknowledgement-ids';
import { Waiver } from '../engine/evaluate';
import { WaiverScope } from '../catalogue/model';

/**
 * Finds the acknowledgement closest to a construct (itself, then its ancestors) for a finding id,
 * in either form users write it: CDK's qualified `Pack::Pack-Rule` or the bare `Pack-Rule`. Each
 * construct's acknowledgements are read once per validation (the tree no longer changes then), not
 * once per finding under it.
 */
export class AcknowledgementFinder {
  private readonly scopes = new Map<IConstruct, AcknowledgingScope>();
  /** Each construct's scopes, closest first, for the several findings a resource may have. */
  private readonly chains = new Map<IConstruct, AcknowledgingScope[]>();

  constructor(private readonly packNamespace: string) {}

  public find(construct: IConstruct, findingId: string): Waiver | undefined {
    let chain = this.chains.get(construct);
    if (!chain) {
      chain = [...construct.node.scopes].reverse().map((scope) => this.scopeOf(scope));
      this.chains.set(construct, chain);
    }
    return firstAcknowledgement(chain, findingId, this.packNamespace);
  }

  private scopeOf(construct: IConstruct): AcknowledgingScope {
    let scope = this.scopes.get(construct);
    if (!scope) {
      scope = acknowledgingScope(construct);
      this.scopes.set(construct, scope);
    }
    return scope;
  }
}

function acknowledgingScope(scope: IConstruct): AcknowledgingScope {
  return {
    path: scope.node.path,
    entries: scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => {
        const source = entry.trace ? firstUserFrame(entry.trace) : undefined;
        return { data: entry.data as unknown, ...(source && { source }) };
      }),
    scope: waiverScopeOf(scope),
  };
}

/** What a construct is for the policy's widestScope: the App, a Stage, a Stack, or in a stack. */
export function waiverScopeOf(scope: IConstruct): WaiverScope {
  if (!scope.node.scope) return 'app';
  if (Stage.isStage(scope)) return 'stage';
  if (Stack.isStack(scope)) return 'stack';
  // A plain construct that holds stacks groups them as a Stage does.
  return scope.node.scopes.some(Stack.isStack) ? 'resource' : 'stage';
}

/** An acknowledgement made in the tree that aims at this pack, as the review lists it. */
export interface PackAcknowledgement {
  readonly id: string;
  readonly path: string;
  readonly findingId: string;
  /** The acknowledgement's text (the reason with its tags), as written. */
  readonly text: unknown;
  readonly scope: WaiverScope;
  /** The user's line that made it, from CDK's creation trace. */
  readonly source?: SourceLocation;
}

/** Every acknowledgement made in the tree under `root` (itself included) that aims at this pack. */
export function packAcknowledgementsUnder(root: IConstruct, packNamespace: string): PackAcknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => {
        if (typeof entry.data !== 'object' || entry.data === null) return [];
        const source = entry.trace ? firstUserFrame(entry.trace) : undefined;
        return Object.entries(entry.data as Record<string, unknown>).flatMap(([id, text]) => {
          const findingId = targetedFindingId(id, packNamespace);
          if (findingId === undefined) return [];
          const path = construct.node.path;
          return [{ id, path, findingId, text, scope: waiverScopeOf(construct), ...(source && { source }) }];
        });
      }),
  );
}
