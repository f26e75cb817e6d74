/**
 * Evidence from other resources counts only from resources that deploy. A resource deploys under
 * the conditions it assumes: its own `Condition` true, and the branch taken by each `Fn::If` that
 * made its properties (see `propertyVariants`).
 */

/** Condition outcomes, e.g. `[['IsProd', true]]`; empty for what deploys unconditionally. */
export type Assumptions = ReadonlyArray<readonly [string, boolean]>;

export type Coverage =
  | { readonly holds: true }
  /** `when`: outcomes of conditions beyond the target's own under which no evidence deploys. */
  | { readonly holds: false; readonly when: Assumptions };

/** Beyond this many conditions of the evidence, only evidence the target's own conditions imply counts. */
const MAX_ENUMERATED_CONDITIONS = 10;

/**
 * Whether some evidence deploys whenever the target does. Each entry of `evidence` is the
 * conditions under which one piece of evidence deploys (any one piece suffices). Conditions are
 * taken as independent of each other: a combination the template's `Conditions` rule out may be
 * named as failing, but evidence never counts where it might not deploy.
 */
export function deploysWhenever(evidence: readonly Assumptions[], target: Assumptions): Coverage {
  const fixed = new Map(target);
  const possible = evidence.filter((piece) => conjoin(piece, target) !== undefined);
  const open = [...new Set(possible.flatMap((piece) => piece.map(([name]) => name)))].filter(
    (name) => !fixed.has(name),
  );
  if (open.length > MAX_ENUMERATED_CONDITIONS) {
    if (possible.some((piece) => implies(target, piece))) return { holds: true };
    const [name, outcome] = possible[0].find(([n]) => !fixed.has(n)) as readonly [string, boolean];
    return { holds: false, when: [[name, !outcome]] };
  }
  for (let mask = 0; mask < 1 << open.length; mask++) {
    const when = open.map((name, i) => [name, (mask & (1 << i)) === 0] as const);
    const combination = [...target, ...when];
    if (!possible.some((piece) => implies(combination, piece)))
      return { holds: false, when: fewest(when, target, possible) };
  }
  return { holds: true };
}

/** Drops the outcomes not needed for no evidence to deploy, so a verdict names only those that matter. */
function fewest(when: Assumptions, target: Assumptions, evidence: readonly Assumptions[]): Assumptions {
  let needed = when;
  for (const outcome of when) {
    const fewer = needed.filter((kept) => kept !== outcome);
    if (evidence.every((piece) => conjoin(piece, [...target, ...fewer]) === undefined)) needed = fewer;
  }
  return needed;
}

/** Both sets of conditions at once, or undefined when they contradict each other. */
export function conjoin(a: Assumptions, b: Assumptions): Assumptions | undefined {
  const outcomes = new Map(a);
  for (const [name, outcome] of b) {
    if (outcomes.get(name) === !outcome) return undefined;
    outcomes.set(name, outcome);
  }
  return [...outcomes];
}

/** Every condition outcome `needed` assumes is among `given`. */
function implies(given: Assumptions, needed: Assumptions): boolean {
  const outcomes = new Map(given);
  return needed.every(([name, outcome]) => outcomes.get(name) === outcome);
}
