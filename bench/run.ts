/**
 * `npm run bench`: what the pack costs, against cdk-nag's AwsSolutionsChecks, at 100, 1,000 and
 * 5,000 resources, and how much of it is CDK's own work on the pack's violations (`cdk-share`). Every sample is a process of its own (as `cdk synth` runs an app), the modes
 * alternate within each round so machine noise hits them alike; the table shows medians of the
 * times, and of each round's ratios (the machine's speed drifts between rounds, not within one).
 * Prints the table and writes `bench/results.json`. A benchmark, not a test: nothing asserts a time.
 *
 *   BENCH_RUNS=5 BENCH_SIZES=100,1000,5000 npm run bench
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { LoadMode, Sample, SynthMode } from './worker';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(__dirname, 'worker.js');
const CLI = path.join(ROOT, 'lib', 'cli', 'main.js');
// `cdk-share` replays the violations of the `ours` run just before it, so it comes after it.
const SYNTH_MODES: readonly SynthMode[] = [
  'plain',
  'ours',
  'cdk-share',
  'any-plugin',
  'AwsSolutionsChecks',
  'remediations',
  'render-once',
  'plain-validator',
];

interface Timed<T> {
  readonly value: T;
  /** Wall time of the whole process, as the parent saw it. */
  readonly processMs: number;
}

function run(command: string, args: readonly string[], okCodes: readonly number[] = [0]): Timed<string> {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const processMs = performance.now() - start;
  if (result.status === null || !okCodes.includes(result.status))
    throw new Error(
      `${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} failed: ${result.stderr}`,
    );
  return { value: result.stdout, processMs };
}

function sample(mode: SynthMode | LoadMode, resources: number, outdir: string): Timed<Sample> {
  const { value, processMs } = run(process.execPath, [WORKER, mode, String(resources), outdir]);
  return { value: JSON.parse(value) as Sample, processMs };
}

/** `cdk-catalogue check` on a cdk.out, the whole process (exit 1 means findings, which the app has). */
function checkCli(outdir: string): number {
  const report = path.join(outdir, 'check-report.json');
  return run(process.execPath, [CLI, 'check', outdir, '-r', 'C3I3A3', '-f', 'json', '-o', report], [0, 1])
    .processMs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

type Series = Record<string, number[]>;

function push(series: Series, key: string, value: number | undefined): void {
  if (value !== undefined) (series[key] ??= []).push(value);
}

/** Every mode's sample in one round at one size: `<mode>.synthMs`, `<mode>.cpuMs`... */
type Round = Record<string, number>;

interface SizeResult {
  readonly rounds: readonly Round[];
  /** Each key's median over the rounds. */
  readonly medians: Round;
}

/** One size: a warm-up round (discarded), then `RUNS` rounds of every mode in turn. */
function measureSize(resources: number, scratch: string): SizeResult {
  const rounds: Round[] = [];
  for (let round = -1; round < RUNS; round++) {
    const values: Round = {};
    for (const mode of SYNTH_MODES) {
      const outdir = path.join(scratch, `${resources}-${mode}`);
      fs.rmSync(outdir, { recursive: true, force: true });
      const { value, processMs } = sample(mode, resources, outdir);
      Object.assign(values, {
        [`${mode}.synthMs`]: value.synthMs,
        [`${mode}.cpuMs`]: value.cpuMs,
        [`${mode}.maxRssMb`]: value.maxRssMb,
        [`${mode}.processMs`]: processMs,
        [`${mode}.ownMs`]: value.ownMs,
        [`${mode}.afterValidateMs`]: value.afterValidateMs,
        resources: value.resources,
      });
      if (mode === 'plain') values['check.processMs'] = checkCli(outdir);
    }
    if (round >= 0) rounds.push(values);
  }
  const series: Series = {};
  for (const round of rounds) for (const [key, value] of Object.entries(round)) push(series, key, value);
  return { rounds, medians: mediansOf(series) };
}

function mediansOf(series: Series): Record<string, number> {
  return Object.fromEntries(Object.entries(series).map(([key, values]) => [key, median(values)]));
}

/**
 * The median over the rounds of what `measure` makes of each round. A difference or a ratio is
 * taken within a round, whose modes ran one after the other, so that the machine's speed, which
 * drifts from round to round on a shared machine, cancels out of it.
 */
function perRound(size: SizeResult, measure: (round: Round) => number): number {
  return median(size.rounds.map(measure));
}

function measureLoad(scratch: string): Record<string, number> {
  const series: Series = {};
  for (let round = -1; round < RUNS; round++) {
    const { value } = sample('load', 0, scratch);
    if (round < 0) continue;
    push(series, 'requireCdkMs', value.requireCdkMs);
    push(series, 'requirePackageMs', value.requirePackageMs);
    push(series, 'loadCatalogueMs', value.loadCatalogueMs);
    const alone = sample('load-alone', 0, scratch).value;
    push(series, 'requirePackageAloneMs', alone.requirePackageAloneMs);
    push(series, 'requireCdkNagAfterMs', alone.requireCdkNagAfterMs);
  }
  return mediansOf(series);
}

/** What a mode added to the plain synth (validator off) of the same round, by wall clock and by CPU. */
function added(size: SizeResult, mode: SynthMode): { wall: number; cpu: number } {
  return {
    wall: perRound(size, (r) => r[`${mode}.synthMs`] - r['plain.synthMs']),
    cpu: perRound(size, (r) => r[`${mode}.cpuMs`] - r['plain.cpuMs']),
  };
}

/** What one mode added over what another added in the same round, by wall clock and by CPU. */
function addedRatio(size: SizeResult, mode: SynthMode, other: SynthMode): { wall: number; cpu: number } {
  const of = (r: Round, time: string, m: SynthMode) => r[`${m}.${time}`] - r[`plain.${time}`];
  return {
    wall: perRound(size, (r) => of(r, 'synthMs', mode) / of(r, 'synthMs', other)),
    cpu: perRound(size, (r) => of(r, 'cpuMs', mode) / of(r, 'cpuMs', other)),
  };
}

/** A plugin's time within the synth: its own `validate`, then CDK's work on its report. */
function inSynth(round: Round, mode: SynthMode): number {
  return round[`${mode}.ownMs`] + round[`${mode}.afterValidateMs`];
}

/** A time within the synth over AwsSolutionsChecks' in the same round. */
function toAwsSolutionsInSynth(size: SizeResult, measure: (round: Round) => number): number {
  return perRound(size, (r) => measure(r) / inSynth(r, 'AwsSolutionsChecks'));
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const fixed2 = (value: number) => value.toFixed(2);
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The table's figures at one size: times are medians, ratios medians of each round's ratio. */
function figuresOf(size: SizeResult): Record<string, number> {
  const ours = added(size, 'ours');
  const cdkShare = added(size, 'cdk-share');
  const theirs = added(size, 'AwsSolutionsChecks');
  const oursToTheirs = addedRatio(size, 'ours', 'AwsSolutionsChecks');
  return {
    resources: size.medians.resources,
    plainMs: size.medians['plain.synthMs'],
    oursWallMs: ours.wall,
    oursCpuMs: ours.cpu,
    cdkShareWallMs: cdkShare.wall,
    cdkShareCpuMs: cdkShare.cpu,
    awsSolutionsWallMs: theirs.wall,
    awsSolutionsCpuMs: theirs.cpu,
    oursToAwsSolutionsWall: oursToTheirs.wall,
    oursToAwsSolutionsCpu: oursToTheirs.cpu,
    oursToValidatorSynth: perRound(
      size,
      (r) => (r['ours.synthMs'] - r['plain.synthMs']) / r['plain-validator.synthMs'],
    ),
    addedPeakRssMb: perRound(size, (r) => r['ours.maxRssMb'] - r['plain.maxRssMb']),
    remediationsToAwsSolutionsWall: addedRatio(size, 'remediations', 'AwsSolutionsChecks').wall,
    checkCliToPlainProcess: perRound(size, (r) => r['check.processMs'] / r['plain.processMs']),
    // Within the synth: what a plugin's validate and CDK's report after it took, or an Aspect's visits.
    oursInSynthMs: perRound(size, (r) => inSynth(r, 'ours')),
    awsSolutionsInSynthMs: perRound(size, (r) => inSynth(r, 'AwsSolutionsChecks')),
    oursToAwsSolutionsInSynth: toAwsSolutionsInSynth(size, (r) => inSynth(r, 'ours')),
    remediationsInSynthMs: perRound(size, (r) => r['remediations.ownMs']),
    remediationsToAwsSolutionsInSynth: toAwsSolutionsInSynth(size, (r) => r['remediations.ownMs']),
    anyPluginInSynthMs: perRound(size, (r) => inSynth(r, 'any-plugin')),
    anyPluginToAwsSolutionsInSynth: toAwsSolutionsInSynth(size, (r) => inSynth(r, 'any-plugin')),
    cdkShareInSynthMs: perRound(size, (r) => inSynth(r, 'cdk-share')),
    cdkShareToAwsSolutionsInSynth: toAwsSolutionsInSynth(size, (r) => inSynth(r, 'cdk-share')),
    cdkShareInSynthToValidatorSynth: perRound(
      size,
      (r) => inSynth(r, 'cdk-share') / r['plain-validator.synthMs'],
    ),
    renderOnceInSynthMs: perRound(size, (r) => r['render-once.ownMs']),
    renderOnceToAwsSolutionsInSynth: toAwsSolutionsInSynth(size, (r) => r['render-once.ownMs']),
  };
}

/** Rows (the first the header) as a Markdown table, each column as wide as its widest cell. */
function markdown(rows: readonly string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function table(figures: readonly Record<string, number>[], load: Record<string, number>): string {
  const costs = markdown([
    [
      'resources',
      'plain synth',
      '+ours (wall / CPU)',
      "of which CDK's own (wall / CPU)",
      '+AwsSolutionsChecks (wall / CPU)',
      'ours / AwsSolutions (wall / CPU)',
      'ours / synth with validator',
      '+peak RSS',
      '+remediations / +AwsSolutions (wall)',
      'check CLI / plain synth process',
    ],
    ...figures.map((f) => [
      String(f.resources),
      ms(f.plainMs),
      `${ms(f.oursWallMs)} / ${ms(f.oursCpuMs)}`,
      `${ms(f.cdkShareWallMs)} / ${ms(f.cdkShareCpuMs)}`,
      `${ms(f.awsSolutionsWallMs)} / ${ms(f.awsSolutionsCpuMs)}`,
      `${fixed2(f.oursToAwsSolutionsWall)} / ${fixed2(f.oursToAwsSolutionsCpu)}`,
      percent(f.oursToValidatorSynth),
      `${f.addedPeakRssMb.toFixed(0)} MB`,
      fixed2(f.remediationsToAwsSolutionsWall),
      fixed2(f.checkCliToPlainProcess),
    ]),
  ]);
  // The same costs timed within the synth, where the rest of the process's noise does not fall.
  const within = markdown([
    [
      'resources',
      'ours (validate + CDK report)',
      'AwsSolutionsChecks (validate + CDK report)',
      'ours / AwsSolutions',
      'remediations (Aspect visits)',
      'remediations / AwsSolutions',
    ],
    ...figures.map((f) => [
      String(f.resources),
      ms(f.oursInSynthMs),
      ms(f.awsSolutionsInSynthMs),
      fixed2(f.oursToAwsSolutionsInSynth),
      ms(f.remediationsInSynthMs),
      fixed2(f.remediationsToAwsSolutionsInSynth),
    ]),
  ]);
  // What no pack or Aspect of this design can go under, timed within the synth like `within`.
  const floors = markdown([
    [
      'resources',
      'any plugin / AwsSolutions',
      "CDK's report on our findings / AwsSolutions",
      "CDK's report on our findings / synth with validator",
      'rendering each fixable resource once / AwsSolutions',
    ],
    ...figures.map((f) => [
      String(f.resources),
      `${fixed2(f.anyPluginToAwsSolutionsInSynth)} (${ms(f.anyPluginInSynthMs)})`,
      `${fixed2(f.cdkShareToAwsSolutionsInSynth)} (${ms(f.cdkShareInSynthMs)})`,
      percent(f.cdkShareInSynthToValidatorSynth),
      `${fixed2(f.renderOnceToAwsSolutionsInSynth)} (${ms(f.renderOnceInSynthMs)})`,
    ]),
  ]);
  const [before, last] = figures.slice(-2);
  const growth =
    figures.length > 1
      ? `\nAdded wall time from ${before.resources} to ${last.resources} resources: ` +
        `x${fixed2(last.oursWallMs / before.oursWallMs)}, within the synth x${fixed2(last.oursInSynthMs / before.oursInSynthMs)} ` +
        `(resources x${fixed2(last.resources / before.resources)})`
      : '';
  return [
    costs,
    growth,
    `Requiring the package after aws-cdk-lib and cdk-nag: ${ms(load.requirePackageMs)} (they take ${ms(load.requireCdkMs)}); ` +
      `after aws-cdk-lib alone: ${ms(load.requirePackageAloneMs)} (cdk-nag's index, which it does not load, ` +
      `takes ${ms(load.requireCdkNagAfterMs)} more); ` +
      `loading the default catalogue: ${ms(load.loadCatalogueMs)}`,
    '\nWithin the synth:\n',
    within,
    '\nFloors, within the synth:\n',
    floors,
  ].join('\n');
}

function main(): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-catalogue-bench-'));
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
  console.log(
    `${machine}; ${RUNS} rounds per size, each mode a process of its own; medians, ratios within each round\n`,
  );
  try {
    const load = measureLoad(scratch);
    const sizes: Record<number, SizeResult> = {};
    for (const size of SIZES) {
      sizes[size] = measureSize(size, scratch);
      process.stderr.write(`measured ${size} resources\n`);
    }
    const figures = Object.fromEntries(
      Object.entries(sizes).map(([resources, size]) => [resources, figuresOf(size)]),
    );
    console.log(table(Object.values(figures), load));
    const results = {
      date: new Date().toISOString(),
      machine,
      runs: RUNS,
      load,
      sizes: Object.fromEntries(
        Object.entries(sizes).map(([resources, size]) => [
          resources,
          { figures: figures[resources], ...size },
        ]),
      ),
    };
    fs.writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
