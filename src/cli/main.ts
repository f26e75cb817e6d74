#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { renderCatalogueMarkdown } from '../catalogue/docs';
import { CatalogueError } from '../catalogue/errors';
import { loadCatalogue } from '../catalogue/load';
import { formatApplicability } from '../catalogue/rating';
import { PACKAGE_VERSION } from '../packs/version';

/** Builds the `cdk-catalogue` command; `write` receives what a command prints to stdout. */
function buildProgram(write: (text: string) => void): Command {
  const program = new Command('cdk-catalogue')
    .description('Turn an enterprise service catalogue into cdk-nag checks for CDK apps.')
    .version(PACKAGE_VERSION)
    .showSuggestionAfterError()
    .exitOverride();

  program
    .command('validate')
    .description(
      'check a catalogue (a YAML file or a directory of them) against the schema and the rule library',
    )
    .argument('[path]', 'catalogue file or directory (default: the catalogue shipped in the package)')
    .action((path?: string) => {
      const catalogue = loadCatalogue(path);
      write(
        `${catalogue.metadata.name} ${catalogue.metadata.version}: ${catalogue.controls.length} controls in ${catalogue.files.length} file(s), baseline ${catalogue.baseline.minimumScore}%\n`,
      );
      for (const control of catalogue.controls) {
        write(
          `  ${catalogue.metadata.packName}-${control.id}  ${control.severity.padEnd(7)} applies ${formatApplicability(control.appliesFrom).padEnd(8)} ${control.title}\n`,
        );
      }
    });

  program
    .command('docs')
    .description(
      'print the catalogue as Markdown: every control, where it applies, what complies and the remediation',
    )
    .argument('[path]', 'catalogue file or directory (default: the catalogue shipped in the package)')
    .action((path?: string) => write(renderCatalogueMarkdown(loadCatalogue(path))));

  return program;
}

/** Runs the CLI; returns the exit code. Errors become one readable line (catalogue problems, one per line). */
export function run(argv: readonly string[], out = process.stdout, err = process.stderr): number {
  const program = buildProgram((text) => out.write(text));
  program.configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  try {
    program.parse(argv as string[], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CatalogueError) {
      err.write(`${e.message}\n`);
      return 1;
    }
    err.write(`cdk-catalogue: ${(e as Error).message ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2));
}
