/**
 * One measurement in a process of its own, as `cdk synth` runs an app: `node worker.js <mode> <resources> <outdir>`.
 * Prints one JSON line (see `Sample`). Run by `run.ts`; the package is the built one (`lib/`), required
 * as a user's app requires it.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- each mode requires what it measures, when it measures it */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type {
  App as AppType,
  IAspect,
  IPolicyValidationPlugin,
  IPolicyValidationPluginBeta1,
  CfnResource,
} from 'aws-cdk-lib';

export type SynthMode =
  | 'plain'
  | 'plain-validator'
  | 'ours'
  | 'cdk-share'
  | 'any-plugin'
  | 'AwsSolutionsChecks'
  | 'remediations'
  | 'render-once';
/** `load`: as a user who also runs cdk-nag's packs; `load-alone`: as one who runs this pack only. */
export type LoadMode = 'load' | 'load-alone';
export type Mode = SynthMode | LoadMode;

export interface Sample {
  /** Wall time of `app.synth()`. */
  readonly synthMs?: number;
  /** CPU time (user and system, every thread) of `app.synth()`. */
  readonly cpuMs?: number;
  /** The process's peak resident set. */
  readonly maxRssMb: number;
  /** Resources in the synthesized templates. */
  readonly resources?: number;
  /** Time inside the plugin's `validate` or the Aspect's visits: its own work, timed within the synth. */
  readonly ownMs?: number;
  /** From the plugin's `validate` returning to the synth's end: CDK's work on its report. */
  readonly afterValidateMs?: number;
  /** `load`: requiring aws-cdk-lib and cdk-nag, then the package on top, then loading the default catalogue. */
  readonly requireCdkMs?: number;
  readonly requirePackageMs?: number;
  /**
   * `load-alone`: requiring the package after aws-cdk-lib alone, then cdk-nag's index (every pack it
   * ships, which the package does not load).
   */
  readonly requirePackageAloneMs?: number;
  readonly requireCdkNagAfterMs?: number;
  readonly loadCatalogueMs?: number;
}

/** The package as built by `npm run build`: the bench measures what users run. */
const PACKAGE = path.resolve(__dirname, '..', '..', 'lib');

interface Package {
  EnterpriseCatalogueChecks: new (
    scope: AppType,
    props: { rating: string; reportOnly: boolean },
  ) => IPolicyValidationPluginBeta1;
  EnterpriseCatalogueRemediations: new (props: { rating: string }) => IAspect;
  loadCatalogue: () => unknown;
}

function timed<T>(work: () => T): [T, number] {
  const start = performance.now();
  const result = work();
  return [result, performance.now() - start];
}

function measureLoad(): Sample {
  const [, requireCdkMs] = timed(() => {
    require('aws-cdk-lib');
    require('cdk-nag');
  });
  const [pkg, requirePackageMs] = timed(() => require(PACKAGE) as Package);
  const [, loadCatalogueMs] = timed(() => pkg.loadCatalogue());
  return { requireCdkMs, requirePackageMs, loadCatalogueMs, maxRssMb: peakRssMb() };
}

function measureLoadAlone(): Sample {
  require('aws-cdk-lib');
  const [, requirePackageAloneMs] = timed(() => require(PACKAGE));
  const [, requireCdkNagAfterMs] = timed(() => require('cdk-nag'));
  return { requirePackageAloneMs, requireCdkNagAfterMs, maxRssMb: peakRssMb() };
}

function measureSynth(mode: SynthMode, resources: number, outdir: string): Sample {
  const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { addBenchStacks } = require('./app') as typeof import('./app');
  const app = new cdk.App({
    outdir,
    builtinCloudFormationValidation: mode === 'plain-validator',
    // Findings are reported, never thrown, so every mode synthesizes the whole app.
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  addBenchStacks(app, resources);
  const watch = new Stopwatch();
  for (const plugin of pluginsOf(mode, app, path.join(outdir, '..', `${resources}-ours`)))
    cdk.Validations.of(app).addPlugins(watch.plugin(plugin));
  for (const aspect of aspectsOf(mode)) cdk.Aspects.of(app).add(watch.aspect(aspect));
  // CDK prints the validation report on stderr; the bench's output is its own.
  const stderr = process.stderr.write.bind(process.stderr);
  process.stderr.write = () => true;
  const cpuBefore = process.cpuUsage();
  const [assembly, synthMs] = timed(() => app.synth());
  const synthEnd = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  process.stderr.write = stderr;
  const rendered = assembly.stacks.reduce(
    (sum, stack) => sum + Object.keys((stack.template as { Resources?: object }).Resources ?? {}).length,
    0,
  );
  return {
    synthMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: peakRssMb(),
    resources: rendered,
    ownMs: watch.ownMs,
    afterValidateMs: watch.lastReturn === undefined ? undefined : synthEnd - watch.lastReturn,
  };
}

/** The validation plugins a mode registers. */
function pluginsOf(mode: SynthMode, app: AppType, oursOutdir: string): IPolicyValidationPlugin[] {
  switch (mode) {
    case 'ours':
      return [
        new (require(PACKAGE) as Package).EnterpriseCatalogueChecks(app, {
          rating: 'C3I3A3',
          reportOnly: true,
        }),
      ];
    case 'cdk-share':
      return [replayOf(oursOutdir)];
    case 'any-plugin':
      // What CDK does for any validation plugin, one that reports nothing: it builds its construct tree.
      return [{ name: 'Nothing', version: '0.0.0', validate: () => ({ success: true, violations: [] }) }];
    case 'AwsSolutionsChecks':
      return [new (require('cdk-nag') as typeof import('cdk-nag')).AwsSolutionsChecks(app)];
    default:
      return [];
  }
}

/** The Aspects a mode adds. */
function aspectsOf(mode: SynthMode): IAspect[] {
  const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  switch (mode) {
    case 'remediations':
      return [new (require(PACKAGE) as Package).EnterpriseCatalogueRemediations({ rating: 'C3I3A3' })];
    case 'render-once': {
      // The least the remediations' visits do: render once, with CDK's resolve, each resource that a
      // control with a fix judges at the bench's rating (the fix is applied only if the check fails).
      const { renderResource } = require(path.join(PACKAGE, 'remediations', 'rendered')) as {
        renderResource: (resource: CfnResource) => unknown;
      };
      const fixed = typesWithFixes();
      return [
        {
          visit: (node) =>
            void (
              cdk.CfnResource.isCfnResource(node) &&
              fixed.has(node.cfnResourceType) &&
              renderResource(node)
            ),
        },
      ];
    }
    default:
      return [];
  }
}

/** The resource types that a shipped control with an enabled fix judges at C3I3A3. */
function typesWithFixes(): ReadonlySet<string> {
  interface Compiled {
    readonly rule: { readonly remediate?: unknown };
    readonly control: { readonly remediation: { readonly enabled: boolean } };
  }
  const { controlsByResourceType } = require(path.join(PACKAGE, 'engine', 'controls')) as {
    controlsByResourceType: (catalogue: unknown, rating: unknown) => ReadonlyMap<string, Compiled[]>;
  };
  const { parseRating } = require(path.join(PACKAGE, 'catalogue', 'rating')) as {
    parseRating: (rating: string) => unknown;
  };
  const byType = controlsByResourceType((require(PACKAGE) as Package).loadCatalogue(), parseRating('C3I3A3'));
  return new Set(
    [...byType]
      .filter(([, controls]) => controls.some((c) => c.rule.remediate && c.control.remediation.enabled))
      .map(([type]) => type),
  );
}

/**
 * Times a plugin's `validate` and an Aspect's visits within the synth: windows that the noise of the
 * rest of the process (a shared machine) does not fall on.
 */
class Stopwatch {
  public ownMs = 0;
  /** When a plugin's `validate` last returned. */
  public lastReturn: number | undefined;

  public plugin(plugin: IPolicyValidationPlugin): IPolicyValidationPlugin {
    const validate = plugin.validate.bind(plugin);
    plugin.validate = (context) => {
      const result = this.timed(() => validate(context));
      this.lastReturn = performance.now();
      return result;
    };
    return plugin;
  }

  public aspect(aspect: IAspect): IAspect {
    const visit = aspect.visit.bind(aspect);
    aspect.visit = (node) => this.timed(() => visit(node));
    return aspect;
  }

  private timed<T>(work: () => T): T {
    const [result, ms] = timed(work);
    this.ownMs += ms;
    return result;
  }
}

/**
 * A plugin that does no work of its own and hands CDK the violations the pack reported in the `ours`
 * synth of the same app (read from its `validation-report.json`): what it adds to a plain synth is
 * CDK's own work on the pack's report (its construct tree, its report, each construct's trace).
 */
function replayOf(oursOutdir: string): IPolicyValidationPlugin {
  interface Saved {
    readonly pluginReports: {
      readonly violations: {
        readonly ruleName: string;
        readonly description: string;
        readonly suggestedFix?: string;
        readonly severity?: string;
        readonly ruleMetadata?: Record<string, string>;
        readonly violatingConstructs: { readonly constructPath: string; readonly locations?: string[] }[];
      }[];
    }[];
  }
  const saved = JSON.parse(fs.readFileSync(path.join(oursOutdir, 'validation-report.json'), 'utf8')) as Saved;
  const violations = saved.pluginReports.flatMap((report) =>
    report.violations.map((v) => ({
      ruleName: v.ruleName,
      description: v.description,
      fix: v.suggestedFix,
      severity: v.severity,
      ruleMetadata: v.ruleMetadata,
      violatingResources: v.violatingConstructs.map((c) => ({
        constructPath: c.constructPath,
        resourceLogicalId: '',
        locations: c.locations ?? ['Properties'],
      })),
    })),
  );
  return { name: 'Enterprise', version: '0.0.0', validate: () => ({ success: true, violations }) };
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

if (require.main === module) {
  const [mode, resources, outdir] = process.argv.slice(2) as [Mode, string, string];
  const loads: Record<LoadMode, () => Sample> = { load: measureLoad, 'load-alone': measureLoadAlone };
  const sample =
    mode in loads ? loads[mode as LoadMode]() : measureSynth(mode as SynthMode, Number(resources), outdir);
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}
