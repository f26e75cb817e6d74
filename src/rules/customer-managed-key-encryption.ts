import { defineRule, notApplicable } from './rule';

// PLACEHOLDER: being written; replace this whole file.
export default defineRule({
  meta: {
    id: 'customer-managed-key-encryption',
    description: 'TODO',
    resourceTypes: [],
    compliantWhen: 'TODO',
    remediation: 'TODO',
    paramsSchema: { type: 'object' },
  },
  check() {
    return notApplicable('TODO');
  },
});
