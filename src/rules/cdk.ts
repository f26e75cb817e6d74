import type * as CdkLib from 'aws-cdk-lib';

let loaded: typeof CdkLib | undefined;

/**
 * aws-cdk-lib, loaded when a fix first reads from it. The checks, the engine and the CLI are pure:
 * they judge rendered CloudFormation, and must run where aws-cdk-lib is not installed (the CLI on a
 * `cdk.out` in a Python team's CI). Only a rule's fix (`remediate`, run inside a CDK app) needs
 * CDK's classes. So, to keep each check beside its fix, the modules of src/rules and
 * src/remediations import aws-cdk-lib and constructs for their types only (`import type`) and reach
 * a class through this object, inside the code that fixes: `cdk.Stack.of(x)`,
 * `x instanceof cdk.aws_s3.CfnBucket` (never at a module's top level, which would load it with the
 * check). aws-cdk-lib is required once; every later access is a property read.
 * `test/cli-without-cdk.test.ts` proves the CLI and every check run without it.
 */
export const cdk: typeof CdkLib = new Proxy({} as typeof CdkLib, {
  get(_target, name) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
    loaded ??= require('aws-cdk-lib') as typeof CdkLib;
    return Reflect.get(loaded, name);
  },
});
