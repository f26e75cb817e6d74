import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { renderCatalogueMarkdown } from '../src/catalogue/docs';
import { loadCatalogue } from '../src/catalogue/load';
import { RULES } from '../src/rules';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('opens with the two commands a fresh clone needs, and CI runs the same test command', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)![1];
    expect(firstBlock).toMatch(/^npm ci && npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it('shows the shipped catalogue exactly as `cdk-catalogue docs` renders it (formatted by prettier, as `npm run readme` does)', () => {
    const section = /<!-- catalogue:start -->([\s\S]*)<!-- catalogue:end -->/.exec(README)![1];
    // Prettier runs in a child process: its ESM loading does not work inside jest.
    const rendered = execFileSync(
      process.execPath,
      [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', path.join(ROOT, 'catalogue.md')],
      { input: renderCatalogueMarkdown(loadCatalogue()), encoding: 'utf8' },
    );
    expect(section.trim()).toBe(rendered.trim());
  });

  it.each(RULES.map((rule) => rule.meta.id))('documents the rule %s', (id) => {
    expect(README).toMatch(new RegExp(`\\| \`${id}\` +\\|`));
  });
});
