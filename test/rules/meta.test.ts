/** Every rule module's metadata points at what exists: its Aspect is exported and applies that rule's fix. */
import * as api from '../../src';
import { RULES } from '../../src/rules';
import { REMEDIATION_CONTEXT_KEYS } from '../../src/remediations/context';

describe.each(RULES.map((rule) => [rule.meta.id, rule] as const))('%s', (_id, rule) => {
  it('names an exported Aspect that applies its own fix', () => {
    const Aspect = (api as unknown as Record<string, new () => unknown>)[rule.meta.fix.aspect];
    expect(typeof Aspect).toBe('function');
    const aspect = new Aspect() as { compiledControl: { rule: { meta: { id: string } } } };
    expect(aspect.compiledControl.rule.meta.id).toBe(rule.meta.id);
  });

  it('names only remediation settings that exist', () => {
    for (const setting of rule.meta.fix.settings)
      expect(Object.keys(REMEDIATION_CONTEXT_KEYS)).toContain(setting);
  });

  it('has a fix', () => {
    expect(typeof rule.remediate).toBe('function');
    expect(rule.meta.fix.manually).not.toMatch(/^[A-Z]|\.$/);
  });
});
