import * as fs from 'fs';
import * as path from 'path';
import { buildCatalogueSchema } from '../../src/catalogue/schema';
import { RULES } from '../../src/rules';
import { buildCentralWaiversSchema } from '../../src/waivers/central';

const ROOT = path.join(__dirname, '..', '..');

describe('catalogue.schema.json', () => {
  it('is the schema built from the rule library (run `npm run schema` after changing a rule)', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'catalogue.schema.json'), 'utf8'));
    expect(committed).toEqual(buildCatalogueSchema(RULES));
  });

  it('offers every rule id for completion and each rule params schema', () => {
    const schema = buildCatalogueSchema(RULES) as {
      definitions: { control: { properties: { rule: { enum: string[] } }; allOf: unknown[] } };
    };
    expect(schema.definitions.control.properties.rule.enum).toEqual(RULES.map((r) => r.meta.id));
    expect(schema.definitions.control.allOf).toHaveLength(RULES.length);
  });

  it.each(fs.readdirSync(path.join(ROOT, 'catalogue')))(
    'is referenced from the shipped %s for editors',
    (file) => {
      const firstLine = fs.readFileSync(path.join(ROOT, 'catalogue', file), 'utf8').split('\n')[0];
      expect(firstLine).toBe('# yaml-language-server: $schema=../schema/catalogue.schema.json');
    },
  );
});

describe('central-waivers.schema.json', () => {
  it('is the schema the loader validates with (run `npm run schema` after changing it)', () => {
    const committed = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'schema', 'central-waivers.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(buildCentralWaiversSchema());
  });
});
