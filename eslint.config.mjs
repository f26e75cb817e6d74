import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', '.tmp/**', 'node_modules/**', '**/cdk.out/**', 'coverage/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      'no-console': 'off',
    },
  },
  {
    // The CLI, the catalogue, the engine, the checks and the report run where aws-cdk-lib is not installed.
    files: ['src/{assembly,catalogue,cli,declarative,engine,io,remediations,report,rules}/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['aws-cdk-lib', 'constructs', 'cdk-nag'].map((name) => ({
            name,
            allowTypeImports: true,
            message:
              'the CLI and the checks run without CDK: import its types only, and reach a class through `cdk` (src/rules/cdk.ts)',
          })),
        },
      ],
    },
  },
);
