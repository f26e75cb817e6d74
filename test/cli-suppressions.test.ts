import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, aws_kms as kms, aws_s3 as s3, Stack, Validations } from 'aws-cdk-lib';
import { waive } from '../src/waivers';
import { silenceCdkReports } from './helpers';

silenceCdkReports();

/**
 * `cdk-catalogue suppressions`, the review of a pull request's waivers: real apps synthesized to a
 * base and a head `cdk.out`, the real CLI in a child process (from the sources, without CDK loaded).
 */
const ROOT = path.join(__dirname, '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
const WITHOUT_CDK = ['-r', path.join(__dirname, 'fixtures', 'without-cdk', 'forbid-cdk.ts')];
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const THIS_FILE = 'test/cli-suppressions.test.ts';
const TODAY = '2026-06-01';

function cli(args: string[], env: Record<string, string> = {}) {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('CDK_CATALOGUE_NOW' in env)) delete environment.CDK_CATALOGUE_NOW;
  const result = spawnSync(process.execPath, [...TS_NODE, ...WITHOUT_CDK, MAIN, 'suppressions', ...args], {
    cwd: ROOT,
    env: environment,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The line of the caller's next statement, as CDK's creation trace records it. */
function nextLine(): number {
  return Number(new Error().stack!.split('\n')[2].match(/:(\d+):\d+\)?$/)![1]) + 1;
}

let tmp: string;
const lines: Record<string, number> = {};

function newApp(): { app: App; stack: Stack } {
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(tmp, 'out-')),
  });
  return { app, stack: new Stack(app, 'Workload') };
}

/** The base branch: a governed waiver on the legacy key, and one on the data bucket's access logs. */
function synthBase(): string {
  const { app, stack } = newApp();
  const legacy = new kms.Key(stack, 'Legacy', { enableKeyRotation: false });
  waive(legacy, {
    control: 'KMS.1',
    reason: 'shared with the on-premises HSM until the migration',
    ticket: 'SEC-12',
    expires: '2026-09-30',
    approvedBy: 'jane.doe',
  });
  const data = new s3.Bucket(stack, 'Data');
  Validations.of(data).acknowledge({
    id: 'Enterprise::Enterprise-S3.1',
    reason: 'logged by CloudTrail data events instead [ticket: SEC-20] [expires: 2026-07-01]',
  });
  app.synth();
  return app.outdir;
}

/**
 * The pull request: the legacy key's waiver extended, the bucket's S3.1 waiver gone, and new ones:
 * bare and expired, qualified without a ticket, stale, a typo, and another plugin's.
 */
function synthHead(): string {
  const { app, stack } = newApp();
  const legacy = new kms.Key(stack, 'Legacy', { enableKeyRotation: false });
  lines.legacy = nextLine();
  waive(legacy, {
    control: 'KMS.1',
    reason: 'shared with the on-premises HSM until the migration',
    ticket: 'SEC-12',
    expires: '2026-10-31',
    approvedBy: 'jane.doe',
  });
  const old = new kms.Key(stack, 'Old', { enableKeyRotation: false });
  lines.old = nextLine();
  Validations.of(old).acknowledge({
    id: 'Enterprise-KMS.1',
    reason: 'scheduled for deletion by operations [ticket: OPS-7] [expires: 2026-05-01]',
  });
  const data = new s3.Bucket(stack, 'Data');
  lines.data = nextLine();
  Validations.of(data).acknowledge({
    id: 'Enterprise::Enterprise-S3.2',
    reason: 'the objects are rebuilt from the source every night [expires: 2026-08-01]',
  });
  const rotating = new kms.Key(stack, 'Rotating', { enableKeyRotation: true });
  lines.rotating = nextLine();
  waive(rotating, {
    control: 'KMS.1',
    reason: 'copied from the legacy key, not needed',
    ticket: 'SEC-12',
    expires: '2026-09-30',
  });
  lines.typo = nextLine();
  Validations.of(data).acknowledge({
    id: 'Enterprise::Enterprise-S3.9',
    reason: 'a control that does not exist [ticket: SEC-21] [expires: 2026-07-01]',
  });
  Validations.of(data).acknowledge({ id: 'AwsSolutions-S1', reason: 'another plugin, not ours' });
  app.synth();
  return app.outdir;
}

let base: string;
let head: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-suppressions-'));
  base = synthBase();
  head = synthHead();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Reviewed {
  control: string;
  stackId: string;
  constructPath: string;
  id: string;
  text: string;
  reason: string;
  ticket?: string;
  expires?: string;
  approvedBy?: string;
  status: string;
  refusedBecause: string[];
  source?: { file: string; line: number };
  resourcesCovered: number;
}

interface Review {
  today: string;
  policyHolds: boolean;
  counts: Record<string, number>;
  waivers: Reviewed[];
  changes?: { added: Reviewed[]; removed: Reviewed[]; changed: { before: Reviewed; after: Reviewed }[] };
}

function jsonReview(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; review: Review } {
  const { code, stdout, stderr } = cli([...args, '--format', 'json'], env);
  expect(stderr).toBe('');
  return { code, review: JSON.parse(stdout) as Review };
}

const byPath = (review: Review, constructPath: string, control: string) =>
  review.waivers.find((w) => w.constructPath === constructPath && w.control === control);

describe('cdk-catalogue suppressions lists every waiver', () => {
  it('gives each waiver its fields, status, source line and the resources it covers', () => {
    const { code, review } = jsonReview([head, '--now', TODAY]);
    expect(code).toBe(1);
    expect(review.today).toBe(TODAY);
    expect(review.policyHolds).toBe(false);
    const source = (line: number) => ({ file: expect.stringMatching(/cli-suppressions\.test\.ts$/), line });
    expect(review.waivers).toEqual([
      expect.objectContaining({
        control: 'S3.2',
        stackId: 'Workload',
        constructPath: 'Workload/Data',
        id: 'Enterprise::Enterprise-S3.2',
        reason: 'the objects are rebuilt from the source every night',
        expires: '2026-08-01',
        status: 'refused',
        refusedBecause: ['it has no ticket ([ticket: …])'],
        source: source(lines.data),
        resourcesCovered: 1,
      }),
      expect.objectContaining({
        control: 'S3.9',
        constructPath: 'Workload/Data',
        ticket: 'SEC-21',
        status: 'refused',
        refusedBecause: ['it names no control of the catalogue'],
        source: source(lines.typo),
        resourcesCovered: 0,
      }),
      expect.objectContaining({
        control: 'KMS.1',
        constructPath: 'Workload/Legacy',
        id: 'Enterprise::Enterprise-KMS.1',
        reason: 'shared with the on-premises HSM until the migration',
        ticket: 'SEC-12',
        expires: '2026-10-31',
        approvedBy: 'jane.doe',
        status: 'active',
        refusedBecause: [],
        source: source(lines.legacy),
        resourcesCovered: 1,
      }),
      expect.objectContaining({
        control: 'KMS.1',
        constructPath: 'Workload/Old',
        // A bare id, as CDK records it.
        id: 'Annotation::Enterprise-KMS.1',
        ticket: 'OPS-7',
        expires: '2026-05-01',
        status: 'expired',
        refusedBecause: ['it expired on 2026-05-01'],
        source: source(lines.old),
        resourcesCovered: 1,
      }),
      expect.objectContaining({
        control: 'KMS.1',
        constructPath: 'Workload/Rotating',
        status: 'stale',
        source: source(lines.rotating),
        resourcesCovered: 0,
      }),
    ]);
    expect(review.waivers.find((w) => w.id.includes('AwsSolutions'))).toBeUndefined();
    expect(review.counts).toEqual({ refused: 2, expired: 1, stale: 1, active: 1 });
  });

  it('judges dates on the clock it is given: --now, else CDK_CATALOGUE_NOW (UTC)', () => {
    const later = jsonReview([head], { CDK_CATALOGUE_NOW: '2026-11-01' }).review;
    expect(later.today).toBe('2026-11-01');
    expect(byPath(later, 'Workload/Legacy', 'KMS.1')?.status).toBe('expired');
    // The last day of a waiver still holds; a date-time is read as its UTC day.
    const lastDay = jsonReview([head, '--now', '2026-10-31T23:30:00-00:00']).review;
    expect(byPath(lastDay, 'Workload/Legacy', 'KMS.1')?.status).toBe('active');
    const nextDay = jsonReview([head, '--now', '2026-10-31T23:30:00-02:00']).review;
    expect(byPath(nextDay, 'Workload/Legacy', 'KMS.1')?.status).toBe('expired');
    // --now wins over the variable.
    const given = jsonReview([head, '--now', TODAY], { CDK_CATALOGUE_NOW: '2026-11-01' }).review;
    expect(byPath(given, 'Workload/Legacy', 'KMS.1')?.status).toBe('active');
  });

  it('refuses a waiver of a control the catalogue marks suppressible: false', () => {
    const catalogue = path.join(tmp, 'catalogue');
    fs.cpSync(path.join(ROOT, 'catalogue'), catalogue, { recursive: true });
    const kms = path.join(catalogue, 'kms.yaml');
    fs.writeFileSync(kms, `${fs.readFileSync(kms, 'utf8').trimEnd()}\n    suppressible: false\n`);
    const { code, review } = jsonReview([base, '--now', TODAY, '--catalogue', catalogue]);
    expect(code).toBe(1);
    expect(byPath(review, 'Workload/Legacy', 'KMS.1')).toMatchObject({
      status: 'refused',
      refusedBecause: ['the control cannot be waived'],
      resourcesCovered: 1,
    });
  });
});

describe('cdk-catalogue suppressions --base', () => {
  it('reports the waivers a pull request adds, removes and changes', () => {
    const { code, review } = jsonReview([head, '--base', base, '--now', TODAY]);
    expect(code).toBe(1);
    const names = (waivers: Reviewed[]) => waivers.map((w) => `${w.constructPath} ${w.control}`);
    expect(names(review.changes!.added)).toEqual([
      'Workload/Data S3.2',
      'Workload/Data S3.9',
      'Workload/Old KMS.1',
      'Workload/Rotating KMS.1',
    ]);
    expect(names(review.changes!.removed)).toEqual(['Workload/Data S3.1']);
    expect(review.changes!.changed).toEqual([
      {
        before: expect.objectContaining({ constructPath: 'Workload/Legacy', expires: '2026-09-30' }),
        after: expect.objectContaining({ constructPath: 'Workload/Legacy', expires: '2026-10-31' }),
      },
    ]);
  });

  it('prints a Markdown comment: the verdict, a table of every waiver, the reasons and the changes', () => {
    const { code, stdout, stderr } = cli([head, '--base', base, '--now', TODAY]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('**The waiver policy does not hold:** 2 refused, 1 expired.');
    expect(stdout).toContain(
      '| Status | Control | Stack | Construct path | Scope | Reason | Ticket | Expires | Approved by | Resources | Source |',
    );
    expect(stdout).toContain(
      `| active | KMS.1 | Workload | Workload/Legacy | resource | shared with the on-premises HSM until the migration | SEC-12 | 2026-10-31 | jane.doe | 1 | ${THIS_FILE}:${lines.legacy} |`,
    );
    expect(stdout).toContain(`| expired | KMS.1 | Workload | Workload/Old |`);
    // Cells are escaped: brackets from a reason cannot make a link.
    expect(stdout).toContain('| S3.2 | Workload/Data | it has no ticket (\\[ticket: …\\]) |');
    expect(stdout).toMatch(/Warning: 1 stale waiver/);
    expect(stdout).toContain('1 removed, 1 changed');
    expect(stdout).toMatch(/#### Added[\s\S]*#### Removed[\s\S]*\| active \| S3\.1 \|[\s\S]*#### Changed/);
  });

  it('exits 0 when every waiver keeps the policy', () => {
    const { code, stdout } = cli([base, '--now', TODAY]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      '**The waiver policy holds.** 2 waiver(s): 0 refused, 0 expired, 0 stale, 2 active',
    );
  });
});

describe('cdk-catalogue suppressions on bad input', () => {
  it.each<[string, () => string[], RegExp]>([
    ['a missing directory', () => [path.join(tmp, 'missing')], /missing/],
    ['a directory that is no cloud assembly', () => [tmp], /no manifest\.json/],
    ['a missing base', () => [head, '--base', path.join(tmp, 'gone')], /gone/],
    ['a clock that is no date', () => [head, '--now', 'tomorrow'], /--now "tomorrow" is not an ISO date/],
    ['an unknown format', () => [head, '--format', 'pdf'], /pdf/],
  ])('exits 2 with one line on %s', (_, args, message) => {
    const { code, stdout, stderr } = cli(args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
