import type { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { RemediationRecord } from '../engine/evaluate';
import { RemediationResult } from './context';

/**
 * Every fix is written into the construct tree (and so into the cloud assembly's metadata), so the
 * pack and the reports can count "remediated" apart from "compliant as written", and say why a
 * fix could not be applied.
 */
export const REMEDIATION_METADATA = 'cdk-catalogue:remediation';

interface RecordedResult {
  readonly findingId: string;
  readonly changes?: readonly string[];
  readonly notApplied?: string;
}

export function recordRemediation(resource: CfnResource, findingId: string, result: RemediationResult): void {
  resource.node.addMetadata(REMEDIATION_METADATA, { findingId, ...result } satisfies RecordedResult);
}

/** What the fixes of one control did to a resource: all changes, or the last reason a fix could not apply. */
export function remediationRecordOf(resource: IConstruct, findingId: string): RemediationRecord | undefined {
  const results = resource.node.metadata
    .filter((entry) => entry.type === REMEDIATION_METADATA)
    .map((entry) => entry.data as RecordedResult)
    .filter((data) => data.findingId === findingId);
  const changes = results.flatMap((r) => r.changes ?? []);
  if (changes.length > 0) return { changes };
  const failure = results.reverse().find((r) => r.notApplied);
  return failure ? { notApplied: failure.notApplied as string } : undefined;
}

/** Stacks an EnterpriseCatalogueRemediations visited; a pipeline Stage's stacks are missing when it was only on the App. */
export const stacksReachedByRemediations = new WeakSet<Stack>();
