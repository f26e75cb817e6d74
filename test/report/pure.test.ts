import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Run in a fresh node where aws-cdk-lib and constructs cannot be resolved (as where the CLI is
 * installed without CDK): loads src/report, builds a report and renders every format.
 */
const SCRIPT = `
const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^(aws-cdk-lib|constructs)(\\/|$)/.test(request)) throw new Error("Cannot find module '" + request + "'");
  return resolve.call(this, request, ...rest);
};
let blocked = false;
try { require('aws-cdk-lib'); } catch { blocked = true; }
require(require.resolve('ts-node/register/transpile-only'));
const report = require('./src/report');
const control = (id) => ({
  id, title: 'Keys rotate', description: '', rule: 'key-rotation', params: {}, severity: 'error', appliesFrom: {},
  references: { securityHub: [], config: [] }, suppressible: true, remediation: { enabled: true, params: {} },
  source: { file: 'c.yaml', line: 1, column: 1 },
});
const rating = { confidentiality: 3, integrity: 3, availability: 3 };
const evaluation = (logicalId, status) => ({
  findingId: 'Corp-KMS.1', controlId: 'KMS.1', ruleId: 'key-rotation', severity: 'error', suppressible: true,
  stackId: 'Stack', logicalId, resourceType: 'AWS::KMS::Key', status, rating, ratingSource: 'props',
  ...(status === 'waived' ? { waiver: { id: 'Corp::Corp-KMS.1', reason: 'legacy', acknowledgedAt: 'Stack' } } : {}),
});
const built = report.buildReport({
  evaluations: [evaluation('A', 'compliant'), evaluation('B', 'non-compliant'), evaluation('C', 'waived')],
  catalogue: {
    apiVersion: 'cdk-catalogue-checks/v1', files: [], controls: [control('KMS.1')],
    metadata: { name: 'Corp', owner: 'CISO', version: '1', packName: 'Corp' }, baseline: { minimumScore: 95 },
  },
  stacks: [{ stackId: 'Stack', rating: 'C3I3A3', ratingSource: 'props', templateFile: 'Stack.template.json' }],
  toolVersion: '0.1.0',
});
const rendered = Object.fromEntries(report.REPORT_FORMATS.map((f) => [f, report.renderReport(built, f).length]));
const cache = Object.keys(require.cache);
process.stdout.write(JSON.stringify({
  blocked,
  rendered,
  met: report.meetsBaseline(built),
  cdk: cache.filter((f) => /node_modules[\\\\/](aws-cdk-lib|constructs)[\\\\/]/.test(f)),
  src: cache.filter((f) => f.startsWith(require('path').join(process.cwd(), 'src'))).map((f) => require('path').relative(process.cwd(), f)),
}));
`;

test('src/report loads and renders every format where aws-cdk-lib and constructs cannot be resolved', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' }));
  expect(out.blocked).toBe(true);
  expect(out.cdk).toEqual([]);
  expect(Object.keys(out.rendered)).toEqual(['text', 'json', 'markdown', 'sarif', 'junit', 'csv']);
  expect(Object.values(out.rendered).every((length) => (length as number) > 0)).toBe(true);
  expect(out.met).toBe(false);
  // Of the rest of src, only the pure rating helpers: not the engine or the rules (which load CDK).
  expect(out.src.filter((f: string) => !f.startsWith(path.join('src', 'report')))).toEqual([
    path.join('src', 'catalogue', 'rating.ts'),
  ]);
});
