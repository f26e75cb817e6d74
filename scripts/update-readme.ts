/** `npm run readme`: rewrites the README section between the catalogue markers from `cdk-catalogue docs`. */
import * as fs from 'fs';
import * as path from 'path';
import { renderCatalogueMarkdown } from '../src/catalogue/docs';
import { loadCatalogue } from '../src/catalogue/load';

const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const updated = readme.replace(
  /(<!-- catalogue:start -->)[\s\S]*(<!-- catalogue:end -->)/,
  (_all, start: string, end: string) =>
    `${start}\n\n${renderCatalogueMarkdown(loadCatalogue()).trim()}\n\n${end}`,
);
fs.writeFileSync(file, updated);
