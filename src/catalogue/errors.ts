import { SourceLocation } from './model';

/** One thing wrong with a catalogue, at a place in a file. */
export interface CatalogueProblem extends SourceLocation {
  readonly message: string;
}

export function formatProblem(problem: CatalogueProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/**
 * Thrown by `loadCatalogue` with every problem found, not just the first. Its message lists them
 * one per line as `file:line:column: message`, ready to print without a stack trace.
 */
export class CatalogueError extends Error {
  constructor(public readonly problems: readonly CatalogueProblem[]) {
    super(
      `The catalogue has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'CatalogueError';
  }
}
