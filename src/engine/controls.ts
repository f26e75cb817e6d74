import { Catalogue, Control } from '../catalogue/model';
import { appliesAt, CiaRating, formatRating } from '../catalogue/rating';
import { ruleOf } from '../rules';
import { RuleModule } from '../rules/rule';

/** A control bound to its rule, with the id its findings carry. */
export interface CompiledControl {
  readonly control: Control;
  readonly rule: RuleModule;
  /** `<packName>-<controlId>`, e.g. `Enterprise-KMS.1`. */
  readonly findingId: string;
}

const compiled = new WeakMap<
  Catalogue,
  { all: CompiledControl[]; byRating: Map<string, Map<string, CompiledControl[]>> }
>();

function compile(catalogue: Catalogue) {
  let entry = compiled.get(catalogue);
  if (!entry) {
    const all = catalogue.controls.map((control) => {
      const rule = ruleOf(control);
      // loadCatalogue rejects unknown rules; a hand-built model might not have gone through it.
      if (!rule) throw new Error(`control ${control.id} names unknown rule '${control.rule}'`);
      return { control, rule, findingId: `${catalogue.metadata.packName}-${control.id}` };
    });
    entry = { all, byRating: new Map() };
    compiled.set(catalogue, entry);
  }
  return entry;
}

export function compiledControls(catalogue: Catalogue): readonly CompiledControl[] {
  return compile(catalogue).all;
}

/**
 * The controls that apply at a rating, indexed by the resource types their rules read, so each
 * resource meets only the rules for its type. Built once per catalogue and rating.
 */
export function controlsByResourceType(
  catalogue: Catalogue,
  rating: CiaRating,
): ReadonlyMap<string, CompiledControl[]> {
  const entry = compile(catalogue);
  const key = formatRating(rating);
  let index = entry.byRating.get(key);
  if (!index) {
    index = new Map();
    for (const compiledControl of entry.all) {
      if (!appliesAt(compiledControl.control.appliesFrom, rating)) continue;
      for (const type of compiledControl.rule.meta.resourceTypes) {
        index.set(type, [...(index.get(type) ?? []), compiledControl]);
      }
    }
    entry.byRating.set(key, index);
  }
  return index;
}

/** Every control that applies at a rating, whatever resource types its rule reads. */
export function applicableControls(catalogue: Catalogue, rating: CiaRating): CompiledControl[] {
  return compile(catalogue).all.filter((c) => appliesAt(c.control.appliesFrom, rating));
}
