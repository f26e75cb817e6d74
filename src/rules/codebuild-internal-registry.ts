import { defineRule, notApplicable } from './rule';

// PLACEHOLDER: being written; replace this whole file.
export default defineRule({
  meta: {
    id: 'codebuild-internal-registry',
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
