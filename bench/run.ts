/**
 * `npm run bench`: what the pack costs, against cdk-nag's AwsSolutionsChecks, at 100, 1,000 and
 * 5,000 resources, and how much of it is CDK's own work on the pack's violations (`cdk-share`). Every sample is a process of its own (as `cdk synth` runs an app), the modes
 * alternate within each round so machine noise hits them alike, and the table shows medians.
 * Prints the table and writes `bench/results.json`. A benchmark, not a test: nothing asserts a time.
 *
 *   BENCH_RUNS=5 BENCH_SIZES=100,1000,5000 npm run bench
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { Sample, SynthMode } from './worker';

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
  'AwsSolutionsChecks',
  'remediations',
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

function sample(mode: SynthMode | 'load', resources: number, outdir: string): Timed<Sample> {
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

/** One size: a warm-up round (discarded), then `RUNS` rounds of every mode in turn. */
function measureSize(resources: number, scratch: string): Record<string, number> {
  const series: Series = {};
  for (let round = -1; round < RUNS; round++) {
    for (const mode of SYNTH_MODES) {
      const outdir = path.join(scratch, `${resources}-${mode}`);
      fs.rmSync(outdir, { recursive: true, force: true });
      const { value, processMs } = sample(mode, resources, outdir);
      if (round < 0) continue;
      push(series, `${mode}.synthMs`, value.synthMs);
      push(series, `${mode}.cpuMs`, value.cpuMs);
      push(series, `${mode}.maxRssMb`, value.maxRssMb);
      push(series, `${mode}.processMs`, processMs);
      push(series, 'resources', value.resources);
      if (mode === 'plain') push(series, 'check.processMs', checkCli(outdir));
    }
  }
  return Object.fromEntries(Object.entries(series).map(([key, values]) => [key, median(values)]));
}

function measureLoad(scratch: string): Record<string, number> {
  const series: Series = {};
  for (let round = -1; round < RUNS; round++) {
    const { value } = sample('load', 0, scratch);
    if (round < 0) continue;
    push(series, 'requireCdkMs', value.requireCdkMs);
    push(series, 'requirePackageMs', value.requirePackageMs);
    push(series, 'loadCatalogueMs', value.loadCatalogueMs);
  }
  return Object.fromEntries(Object.entries(series).map(([key, values]) => [key, median(values)]));
}

/** What a mode adds to a plain synth (validator off), by wall clock and by CPU. */
function added(m: Record<string, number>, mode: SynthMode): { wall: number; cpu: number } {
  return { wall: m[`${mode}.synthMs`] - m['plain.synthMs'], cpu: m[`${mode}.cpuMs`] - m['plain.cpuMs'] };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);

function table(sizes: Record<number, Record<string, number>>, load: Record<string, number>): string {
  const rows: string[][] = [
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
  ];
  for (const [, m] of Object.entries(sizes)) {
    const ours = added(m, 'ours');
    const cdkShare = added(m, 'cdk-share');
    const theirs = added(m, 'AwsSolutionsChecks');
    const fixes = added(m, 'remediations');
    rows.push([
      String(m.resources),
      ms(m['plain.synthMs']),
      `${ms(ours.wall)} / ${ms(ours.cpu)}`,
      `${ms(cdkShare.wall)} / ${ms(cdkShare.cpu)}`,
      `${ms(theirs.wall)} / ${ms(theirs.cpu)}`,
      `${ratio(ours.wall, theirs.wall)} / ${ratio(ours.cpu, theirs.cpu)}`,
      `${((ours.wall / m['plain-validator.synthMs']) * 100).toFixed(1)}%`,
      `${(m['ours.maxRssMb'] - m['plain.maxRssMb']).toFixed(0)} MB`,
      ratio(fixes.wall, theirs.wall),
      ratio(m['check.processMs'], m['plain.processMs']),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const [head, ...body] = rows;
  const sizesMeasured = Object.values(sizes);
  const growth =
    sizesMeasured.length > 1
      ? `\nAdded wall time from ${sizesMeasured.at(-2)!.resources} to ${sizesMeasured.at(-1)!.resources} resources: ` +
        `x${ratio(added(sizesMeasured.at(-1)!, 'ours').wall, added(sizesMeasured.at(-2)!, 'ours').wall)} ` +
        `(resources x${ratio(sizesMeasured.at(-1)!.resources, sizesMeasured.at(-2)!.resources)})`
      : '';
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    growth,
    `Requiring the package after aws-cdk-lib and cdk-nag: ${ms(load.requirePackageMs)} (they take ${ms(load.requireCdkMs)}); ` +
      `loading the default catalogue: ${ms(load.loadCatalogueMs)}`,
  ].join('\n');
}

function main(): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-catalogue-bench-'));
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
  console.log(`${machine}; ${RUNS} rounds per size, each mode a process of its own, medians\n`);
  try {
    const load = measureLoad(scratch);
    const sizes: Record<number, Record<string, number>> = {};
    for (const size of SIZES) {
      sizes[size] = measureSize(size, scratch);
      process.stderr.write(`measured ${size} resources\n`);
    }
    console.log(table(sizes, load));
    const results = { date: new Date().toISOString(), machine, runs: RUNS, load, sizes };
    fs.writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
