/**
 * `npm run bench`: what the pack costs inside a synth, against cdk-nag's AwsSolutionsChecks, on the
 * example CDK Pipelines app and on one large stack; plus the engine alone as resources grow.
 * Times are medians of several runs in ONE process; compare ratios, not absolute numbers.
 */
import { performance } from 'perf_hooks';
import { App, aws_s3 as s3, aws_sns as sns, aws_sqs as sqs, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EnterpriseCatalogueChecks, evaluate, loadCatalogue } from '../src';
import { STRICTEST_RATING } from '../src/catalogue/rating';
import { CfnTemplate } from '../src/engine/template';
import { buildExampleApp } from '../examples/pipeline-app/app';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const QUIET = { '@aws-cdk/core:failSynthOnValidationErrors': false };

type Pack = 'none' | 'ours' | 'AwsSolutionsChecks';

function addPack(app: App, pack: Pack): void {
  if (pack === 'ours')
    Validations.of(app).addPlugins(
      new EnterpriseCatalogueChecks(app, { rating: 'C3I3A3', reportOnly: true }),
    );
  if (pack === 'AwsSolutionsChecks') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

function pipelineApp(pack: Pack, builtinCloudFormationValidation: boolean): App {
  const { app } = buildExampleApp({
    crossAccountKeys: true,
    appProps: { builtinCloudFormationValidation, context: QUIET },
  });
  addPack(app, pack);
  return app;
}

/** One stack with `n` buckets, queues and topics (3n resources plus CDK's policies). */
function largeApp(n: number, pack: Pack): App {
  const app = new App({ builtinCloudFormationValidation: false, context: QUIET });
  const stack = new Stack(app, 'Large');
  for (let i = 0; i < n; i++) {
    new s3.Bucket(stack, `Bucket${i}`);
    new sqs.Queue(stack, `Queue${i}`);
    new sns.Topic(stack, `Topic${i}`);
  }
  addPack(app, pack);
  return app;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Wall time of one synth of a freshly built app, its own console output silenced. */
function timeOneSynth(make: () => App): number {
  const silence = console.error;
  console.error = () => undefined;
  try {
    const app = make();
    const start = performance.now();
    app.synth();
    return performance.now() - start;
  } finally {
    console.error = silence;
  }
}

function row(label: string, times: Record<Pack, number>): void {
  const ours = times.ours - times.none;
  const theirs = times.AwsSolutionsChecks - times.none;
  console.log(
    `${label.padEnd(44)} synth ${times.none.toFixed(0).padStart(6)} ms | +ours ${ours.toFixed(1).padStart(7)} ms | ` +
      `+AwsSolutionsChecks ${theirs.toFixed(1).padStart(7)} ms | ours/AwsSolutions ${(ours / theirs).toFixed(2)}`,
  );
}

/**
 * Runs the three variants round-robin (after a warm-up of each), so JIT warm-up and GC drift hit
 * them alike, and reports the medians.
 */
function measure(label: string, make: (pack: Pack) => App): void {
  const packs: Pack[] = ['none', 'ours', 'AwsSolutionsChecks'];
  const samples: Record<Pack, number[]> = { none: [], ours: [], AwsSolutionsChecks: [] };
  for (const pack of packs) timeOneSynth(() => make(pack));
  for (let run = 0; run < RUNS; run++)
    for (const pack of packs) samples[pack].push(timeOneSynth(() => make(pack)));
  row(label, Object.fromEntries(packs.map((pack) => [pack, median(samples[pack])])) as Record<Pack, number>);
}

function engineScaling(): void {
  const catalogue = loadCatalogue();
  for (const n of [100, 1000, 5000]) {
    const resources: NonNullable<CfnTemplate['Resources']> = {};
    for (let i = 0; i < n; i++)
      resources[`Bucket${i}`] = { Type: 'AWS::S3::Bucket', Properties: { BucketName: `b${i}` } };
    const stacks = [
      {
        stackId: 'S',
        template: { Resources: resources },
        rating: STRICTEST_RATING,
        ratingSource: 'props' as const,
      },
    ];
    evaluate({ catalogue, stacks });
    const ms = median(
      Array.from({ length: RUNS }, () => {
        const start = performance.now();
        evaluate({ catalogue, stacks });
        return performance.now() - start;
      }),
    );
    console.log(
      `engine only, ${String(n).padStart(5)} buckets (3 controls each): ${ms.toFixed(1).padStart(7)} ms, ${((ms * 1000) / n).toFixed(1)} µs per resource`,
    );
  }
}

console.log(`node ${process.version}, ${RUNS} runs each, medians\n`);
measure('example pipeline app, no bundled validator', (pack) => pipelineApp(pack, false));
measure('example pipeline app, bundled validator', (pack) => pipelineApp(pack, true));
measure('one stack, 300 buckets+queues+topics', (pack) => largeApp(100, pack));
console.log();
engineScaling();
