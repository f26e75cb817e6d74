import { createHash } from 'crypto';

/**
 * CDK's `Names.uniqueId` of a construct from its path components (aws-cdk-lib core/private/uniqueid),
 * which names a nested stack's template `<uniqueId>.nested.template.json`: the alphanumeric path
 * (duplicates and `Resource` left out) and an 8-digit hash of the whole path.
 */
export function cdkUniqueId(components: readonly string[]): string {
  const kept = components.filter((c) => c !== 'Default');
  if (kept.length === 1 && alphanumeric(kept[0]).length <= 255) return alphanumeric(kept[0]);
  const hash = createHash('md5').update(kept.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human = withoutRepeats(kept)
    .filter((c) => c !== 'Resource')
    .map(alphanumeric)
    .join('')
    .slice(0, 240);
  return human + hash;
}

function alphanumeric(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, '');
}

/** Drops a component the previous one ends with (`Bucket/Bucket` names once). */
function withoutRepeats(components: readonly string[]): string[] {
  const kept: string[] = [];
  for (const c of components) if (kept.length === 0 || !kept[kept.length - 1].endsWith(c)) kept.push(c);
  return kept;
}
