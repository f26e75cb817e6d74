#!/usr/bin/env node
import * as fs from 'fs';
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../assembly';
import { renderCatalogueMarkdown } from '../catalogue/docs';
import { CatalogueError } from '../catalogue/errors';
import { diffCatalogues, renderCatalogueDiff } from '../catalogue/diff';
import { loadCatalogue } from '../catalogue/load';
import type { Control } from '../catalogue/model';
import { formatApplicability } from '../catalogue/rating';
import { PACKAGE_VERSION } from '../packs/version';
import { CatalogueReport, renderReport, REPORT_FORMATS, ReportFormat } from '../report';
import { checkInputs, exitCodeOf, readReportFile } from './check';
import {
  clockOf,
  NOW_VARIABLE,
  renderSuppressions,
  reviewSuppressions,
  SUPPRESSIONS_FORMATS,
  SuppressionsFormat,
  suppressionsExitCode,
} from './suppressions';

const NOW_HELP = `the day waivers are judged on, YYYY-MM-DD in UTC (default: $${NOW_VARIABLE}, else today)`;

/** Set by a command whose result decides the exit code (`check`, `report`). */
let exitCode = 0;

/** Builds the `cdk-catalogue` command; `write` receives what a command prints to stdout. */
function buildProgram(write: (text: string) => void, progress?: (text: string) => void): Command {
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
      const findingId = (id: string) => `${catalogue.metadata.packName}-${id}`;
      const idWidth = Math.max(...catalogue.controls.map((c) => findingId(c.id).length));
      const applies = (c: Control) => formatApplicability(c.appliesFrom);
      const appliesWidth = Math.max(...catalogue.controls.map((c) => applies(c).length));
      for (const control of catalogue.controls) {
        write(
          `  ${findingId(control.id).padEnd(idWidth)}  ${control.severity.padEnd(7)} applies ${applies(control).padEnd(appliesWidth)}  ${control.title}\n`,
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

  program
    .command('diff')
    .description(
      "what a catalogue change adds, removes, tightens or loosens (for the catalogue owners' pull requests)",
    )
    .argument('<old>', 'the catalogue before: a file or directory')
    .argument('<new>', 'the catalogue after: a file or directory')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['markdown', 'json']).default('markdown'),
    )
    .action((before: string, after: string, options: { format: 'markdown' | 'json' }) => {
      const diff = diffCatalogues(loadCatalogue(before), loadCatalogue(after));
      write(options.format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : renderCatalogueDiff(diff));
    });

  program
    .command('check')
    .description(
      'judge a cloud assembly (cdk.out, nested stacks and acknowledgements included) or CloudFormation templates (JSON or YAML), without CDK code',
    )
    .argument('<inputs...>', 'a cdk.out directory, or template files')
    .option(
      '-c, --catalogue <path>',
      'catalogue file or directory (default: the catalogue shipped in the package)',
    )
    .option(
      '-r, --rating <rating>',
      "the workload's CIA rating, e.g. C3I2A1 (default: the ratings recorded at synth in cdk.out, else the strictest)",
    )
    .option('--now <date>', NOW_HELP)
    .addOption(formatOption())
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .action(
      (
        inputs: string[],
        options: { catalogue?: string; rating?: string; now?: string; format: ReportFormat; output?: string },
      ) => {
        const report = checkInputs(inputs, { ...options, today: clockOf(options.now), progress });
        emit(report, options, write);
        exitCode = exitCodeOf(report);
      },
    );

  program
    .command('report')
    .description(
      'render the record the pack wrote at synth (cdk.out/catalogue-report.json) in another format',
    )
    .argument('[cdk.out]', 'the cloud assembly directory, or the report file', 'cdk.out')
    .addOption(formatOption())
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .action((dir: string, options: { format: ReportFormat; output?: string }) => {
      const report = readReportFile(dir);
      emit(report, options, write);
      exitCode = exitCodeOf(report);
    });

  program
    .command('suppressions')
    .description(
      'review every waiver of a cloud assembly against the catalogue (and with --base, what a pull request adds, removes and changes)',
    )
    .argument('[cdk.out]', 'the cloud assembly directory', 'cdk.out')
    .option('-b, --base <cdk.out>', 'the cloud assembly to compare with (the base branch)')
    .option(
      '-c, --catalogue <path>',
      'catalogue file or directory (default: the catalogue shipped in the package)',
    )
    .option('--now <date>', NOW_HELP)
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(SUPPRESSIONS_FORMATS).default('markdown'),
    )
    .action(
      (
        dir: string,
        options: { base?: string; catalogue?: string; now?: string; format: SuppressionsFormat },
      ) => {
        const review = reviewSuppressions(dir, options);
        write(renderSuppressions(review, options.format));
        exitCode = suppressionsExitCode(review);
      },
    );

  return program;
}

function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format').choices(REPORT_FORMATS).default('text');
}

/** Colour only for people: on a terminal, unless NO_COLOR is set, and never in a file. */
function useColor(options: { output?: string }): boolean {
  return !options.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

function emit(
  report: CatalogueReport,
  options: { format: ReportFormat; output?: string },
  write: (text: string) => void,
): void {
  const text = renderReport(report, options.format, { color: useColor(options) });
  if (options.output) fs.writeFileSync(options.output, text);
  else write(text);
}

/** Runs the CLI; returns the exit code. Errors become one readable line (catalogue problems, one per line). */
export function run(argv: readonly string[], out = process.stdout, err = process.stderr): number {
  const program = buildProgram(
    (text) => out.write(text),
    (err as NodeJS.WriteStream).isTTY ? (text) => err.write(text) : undefined,
  );
  program.configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  exitCode = 0;
  try {
    program.parse(argv as string[], { from: 'user' });
    return exitCode;
  } catch (e) {
    // Usage mistakes (an unknown option or format) are bad input, like a missing file.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InputError) {
      err.write(`cdk-catalogue: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CatalogueError) {
      err.write(`${e.message}\n`);
      return argv[0] === 'validate' ? 1 : 2;
    }
    err.write(`cdk-catalogue: ${(e as Error).message ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `cdk-catalogue check cdk.out | head`: a reader that stops early is no error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit();
  });
  process.exitCode = run(process.argv.slice(2));
}
