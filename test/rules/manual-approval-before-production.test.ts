import {
  App,
  AspectPriority,
  Aspects,
  aws_codebuild as codebuild,
  aws_codecommit as codecommit,
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as codepipeline_actions,
  aws_lambda as lambda,
  aws_s3 as s3,
  aws_sqs as sqs,
  CfnResource,
  Fn,
  IAspect,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep } from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { RE2JS } from 're2js';
import { ManualApprovalBeforeProduction } from '../../src/remediations/aspects';
import rule from '../../src/rules/manual-approval-before-production';
import { evaluate } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import {
  evaluateRule,
  remediationRecords,
  singleRuleCatalogue,
  stackTemplate,
  synthWithAspects,
  templateWith,
} from '../helpers';

const PIPELINE = 'AWS::CodePipeline::Pipeline';
const PIPELINE_ACCOUNT = '111111111111';
const UAT_ACCOUNT = '222222222222';
const PROD_ACCOUNT = '333333333333';
const DEFAULT_PATTERN = (rule.meta.paramsSchema.properties as Record<string, { default: unknown }>)
  .productionStagePattern.default as string;

interface ActionOptions {
  readonly owner?: unknown;
  readonly RoleArn?: unknown;
  readonly Configuration?: unknown;
}

function action(
  name: unknown,
  category: unknown,
  provider: unknown,
  runOrder?: unknown,
  { owner = 'AWS', ...rest }: ActionOptions = {},
) {
  return {
    Name: name,
    ActionTypeId: { Category: category, Owner: owner, Provider: provider, Version: '1' },
    ...(runOrder === undefined ? {} : { RunOrder: runOrder }),
    ...rest,
  };
}

const approve = (runOrder?: unknown, options?: ActionOptions) =>
  action('Approve', 'Approval', 'Manual', runOrder, options);
const deploy = (runOrder?: unknown, name = 'Deploy', options?: ActionOptions) =>
  action(name, 'Deploy', 'CloudFormation', runOrder, options);
const test = (runOrder?: unknown) => action('Test', 'Test', 'CodeBuild', runOrder);
/** A CodeBuild action, such as one running `cdk deploy` or a database migration. */
const build = (runOrder?: unknown, name = 'Migrate') => action(name, 'Build', 'CodeBuild', runOrder);
const invoke = (runOrder?: unknown) => action('Smoke', 'Invoke', 'Lambda', runOrder);
const stage = (name: unknown, ...actions: unknown[]) => ({ Name: name, Actions: actions });

function conditionRule(name: string, provider: unknown, owner: unknown = 'AWS') {
  return { Name: name, RuleTypeId: { Category: 'Rule', Owner: owner, Provider: provider, Version: '1' } };
}
const condition = (result: unknown, ...rules: unknown[]) => ({ Result: result, Rules: rules });
/** A stage with stage-level conditions (`BeforeEntry`, `OnFailure`, `OnSuccess`) added. */
const withConditions = (base: object, conditions: Record<string, unknown>) => ({ ...base, ...conditions });

/** What CDK Pipelines renders for a role in another account: `arn:${AWS::Partition}:iam::<account>:role/...`. */
const roleIn = (account: string, role = 'deploy') => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:iam::${account}:role/cdk-hnb659fds-${role}-role-${account}-eu-west-1`,
    ],
  ],
});
const deployTo = (account: string, runOrder?: unknown, name = 'Deploy') =>
  deploy(runOrder, name, {
    RoleArn: roleIn(account),
    Configuration: { StackName: 'App', RoleArn: roleIn(account, 'cfn-exec') },
  });

const SOURCE = stage('Source', action('Checkout', 'Source', 'CodeCommit'));
const BUILD = stage('Build', action('Synth', 'Build', 'CodeBuild'));
const UAT = stage('UAT', deploy(1, 'Prepare'), deploy(2));

const CHANGES = 'without a manual approval before its first action that can change anything';
const unapproved = (mention: string) => `stage ${mention} deploys ${CHANGES}`;
const UNAPPROVED_PROD = unapproved("'Prod'");
const CANNOT_VERIFY = ', so whether a manual approval precedes the production deployment cannot be verified';

function pipeline(stages: unknown, extra: Partial<CfnTemplate> = {}) {
  return templateWith(PIPELINE, { Stages: stages }, extra);
}

/** The rule's evaluation of a pipeline whose stack deploys to `account` (undefined: environment-agnostic). */
function evaluateIn(
  account: string | undefined,
  template: CfnTemplate,
  params: Record<string, unknown>,
  others: CfnTemplate[] = [],
) {
  const stacks = [template, ...others].map((t, i) => ({ ...stackTemplate(t, `Stack${i}`), account }));
  return evaluate({ catalogue: singleRuleCatalogue(rule, params), stacks }).find(
    (evaluation) => evaluation.stackId === 'Stack0' && evaluation.resourceType === PIPELINE,
  )!;
}

describe('manual-approval-before-production', () => {
  describe('production stage names (default productionStagePattern)', () => {
    const PRODUCTION = [
      'prd',
      'PRD',
      'Live',
      'LIVE',
      'live',
      'PROD',
      'Prod',
      'prod',
      'Production',
      'PRODUCTION',
      'prod-eu-west-1',
      'Prod-EU',
      'prod_us',
      'Prod.EU',
      'Prod@EU',
      'ProdEU',
      'ProdDeploy',
      'DeployToProd',
      'UATProd',
      'PRODStage',
      'prod1',
      'Prod2EU',
      'Live2',
      'GoLive',
      'Prd-EU',
      'eu-prod',
      'ApproveProd',
      'Prod-NonProd-Sync',
      'NotProd',
    ];
    const NOT_PRODUCTION = [
      'NonProd',
      'nonprod',
      'NONPROD',
      'non-prod',
      'Non_Prod',
      'Non-Production',
      'NonLive',
      'preprod',
      'PREPROD',
      'PreProd',
      'pre-prod',
      'Pre_Prod',
      'Pre.Prod',
      'PreProduction',
      'Pre-Live',
      'Prelive',
      'eu-non-prod',
      'Prodigy',
      'Products',
      'ProductCatalogue',
      'Productivity',
      'Delivery',
      'Olive',
      'Livestock',
      'UAT',
      'Staging',
      'Test',
      // Lower case run together cannot be split into words: name such stages prod-eu or ProdEU.
      'prodeu',
    ];

    it.each(PRODUCTION)('%s is production', (name) => {
      const { Subject } = evaluateRule(rule, pipeline([SOURCE, stage(name, deploy())]));
      expect(Subject).toMatchObject({ status: 'non-compliant', reason: unapproved(`'${name}'`) });
    });

    it.each(NOT_PRODUCTION)('%s is not production', (name) => {
      expect(evaluateRule(rule, pipeline([SOURCE, stage(name, deploy())])).Subject.status).toBe(
        'not-applicable',
      );
    });

    it('runs unchanged on a linear-time matcher (RE2: no lookaround, no backreferences)', () => {
      const re2 = RE2JS.compile(DEFAULT_PATTERN, RE2JS.CASE_INSENSITIVE);
      const regExp = new RegExp(DEFAULT_PATTERN, 'i');
      // Names as written and as words joined by spaces, the two texts the pattern is searched in.
      const texts = [
        ...PRODUCTION,
        ...NOT_PRODUCTION,
        ...['Non Prod', 'Pre Prod', 'non prod', 'Pre Production', 'Prod EU', 'UAT Prod', 'Deploy To Prod'],
        ...['Prod Deploy', 'prod eu west 1', 'Go Live', 'eu non prod', 'np prod', 'pr prod', 'nop prod'],
      ];
      expect(texts.map((text) => re2.test(text))).toEqual(texts.map((text) => regExp.test(text)));
    });
  });

  it.each([
    [
      'an approval first in the stage (CDK Pipelines pre step)',
      [SOURCE, UAT, stage('Prod', approve(1), deploy(2, 'Prepare'), deploy(3))],
    ],
    ['an approval stage just before', [SOURCE, UAT, stage('Approval', approve()), stage('Prod', deploy())]],
    [
      'an approval after the tests of the stage before',
      [SOURCE, stage('UAT', deploy(1), test(2), approve(3)), stage('Prod', deploy())],
    ],
    [
      'an approval beside the last actions of the stage before',
      [SOURCE, stage('UAT', deploy(1), test(2), approve(2)), stage('Prod', deploy())],
    ],
    ['run orders written as strings', [SOURCE, stage('Prod', approve('1'), deploy('2'))]],
    ['an approval with the default run order', [SOURCE, stage('Prod', approve(), deploy('2'))]],
    [
      'unapproved deploys outside production',
      [
        SOURCE,
        UAT,
        stage('Staging', deploy()),
        stage('NonProd', build()),
        stage('Prod', approve(1), deploy(2)),
      ],
    ],
    ['a stage name matched case-insensitively', [SOURCE, stage('PRODUCTION', approve(1), deploy(2))]],
    [
      'a CodeBuild action and a Lambda invoke after the approval',
      [SOURCE, stage('Live', approve(1), build(2), invoke(2), deploy(3))],
    ],
    ['an approval stage before a stage of tests', [SOURCE, stage('Gate', approve()), stage('prd', test())]],
    ['a production stage that only approves', [SOURCE, UAT, stage('Prod', approve())]],
    ['a production stage whose actions are junk', [SOURCE, { Name: 'Prod', Actions: 'junk' }]],
    [
      'a stage named by a parameter that only approves',
      [SOURCE, stage({ Ref: 'StageName' }, approve(1), approve(2))],
    ],
    [
      'a stage named by a parameter that deploys after an approval',
      [SOURCE, stage({ Ref: 'StageName' }, approve(1), deploy(2))],
    ],
    [
      'an action name from Fn::GetAtt',
      [
        stage('Source', action({ 'Fn::GetAtt': ['Repo', 'Name'] }, 'Source', 'CodeCommit')),
        stage('Prod', approve(1), deploy(2)),
      ],
    ],
    [
      'entry conditions that only look (alarm, deployment window, variable check)',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          BeforeEntry: {
            Conditions: [
              condition(
                'FAIL',
                conditionRule('Alarm', 'CloudWatchAlarm'),
                conditionRule('Window', 'DeploymentWindow'),
                conditionRule('Variable', 'VariableCheck'),
              ),
            ],
          },
        }),
      ],
    ],
    [
      'a rule on success that runs commands (after the approval)',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          OnSuccess: { Conditions: [condition('ROLLBACK', conditionRule('Verify', 'Commands'))] },
        }),
      ],
    ],
    [
      'an entry rule that runs commands, after an approval stage',
      [
        SOURCE,
        stage('Approval', approve()),
        withConditions(stage('Prod', deploy()), {
          BeforeEntry: { Conditions: [condition('FAIL', conditionRule('Check', 'Commands'))] },
        }),
      ],
    ],
    [
      'an approval stage that rolls back on failure',
      [
        SOURCE,
        withConditions(stage('Approval', approve()), {
          OnFailure: {
            Result: 'ROLLBACK',
            Conditions: [condition('ROLLBACK', conditionRule('Alarm', 'CloudWatchAlarm'))],
          },
        }),
        stage('Prod', deploy()),
      ],
    ],
  ])('compliant: %s', (_name, stages) => {
    const template = pipeline(stages, { Parameters: { StageName: { Type: 'String' } } });
    expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
  });

  it.each([
    ['no approval', [SOURCE, BUILD, UAT, stage('Prod', deploy(1, 'Prepare'), deploy(2))], UNAPPROVED_PROD],
    ['an approval run beside the deploy', [SOURCE, stage('Prod', approve(1), deploy(1))], UNAPPROVED_PROD],
    ['an approval after the deploy', [SOURCE, stage('Prod', deploy(1), approve(2))], UNAPPROVED_PROD],
    [
      'a deploy running before the approval',
      [SOURCE, stage('Prod', deploy(1, 'Prepare'), approve(2), deploy(3))],
      UNAPPROVED_PROD,
    ],
    [
      'run orders as strings, approval after',
      [SOURCE, stage('Prod', deploy('1'), approve('2'))],
      UNAPPROVED_PROD,
    ],
    [
      'an approval that is not the last action of the stage before',
      [SOURCE, stage('UAT', approve(1), deploy(2)), stage('Prod', deploy())],
      UNAPPROVED_PROD,
    ],
    [
      'an approval two stages earlier',
      [SOURCE, stage('Approval', approve()), UAT, stage('Prod', deploy())],
      UNAPPROVED_PROD,
    ],
    [
      'an approval that is not manual',
      [SOURCE, stage('Prod', action('Approve', 'Invoke', 'Lambda', 1), deploy(2))],
      UNAPPROVED_PROD,
    ],
    [
      'a deploy by another provider',
      [SOURCE, stage('Prod', action('Upload', 'Deploy', 'S3'))],
      UNAPPROVED_PROD,
    ],
    ['a CodeBuild action in production (cdk deploy)', [SOURCE, stage('prd', build())], unapproved("'prd'")],
    [
      'a CodeBuild action before the approval',
      [SOURCE, stage('Prod', build(1), approve(2), deploy(3))],
      UNAPPROVED_PROD,
    ],
    [
      'a CodeBuild action beside the approval',
      [SOURCE, stage('Prod', approve(1), build(1), deploy(2))],
      UNAPPROVED_PROD,
    ],
    ['a Lambda invoke', [SOURCE, stage('Live', invoke())], unapproved("'Live'")],
    [
      'a Step Functions invoke',
      [SOURCE, stage('Prod', action('Run', 'Invoke', 'StepFunctions'))],
      UNAPPROVED_PROD,
    ],
    ['a test action', [SOURCE, UAT, stage('Prod', test())], UNAPPROVED_PROD],
    ['a commands action', [SOURCE, stage('Prod', action('Run', 'Compute', 'Commands'))], UNAPPROVED_PROD],
    [
      'a custom action',
      [SOURCE, stage('Prod', action('Ship', 'Deploy', 'Shipper', 1, { owner: 'Custom' }))],
      UNAPPROVED_PROD,
    ],
    [
      'a Custom-owned approval first',
      [SOURCE, stage('Prod', approve(1, { owner: 'Custom' }), deploy(2))],
      UNAPPROVED_PROD,
    ],
    [
      'a ThirdParty approval first',
      [SOURCE, stage('Prod', approve(1, { owner: 'ThirdParty' }), deploy(2))],
      UNAPPROVED_PROD,
    ],
    [
      'an AWS approval by another provider',
      [SOURCE, stage('Prod', action('Approve', 'Approval', 'Lambda', 1), deploy(2))],
      UNAPPROVED_PROD,
    ],
    [
      'a Custom-owned approval stage just before',
      [SOURCE, stage('Approval', approve(1, { owner: 'Custom' })), stage('Prod', deploy())],
      UNAPPROVED_PROD,
    ],
    [
      'a production stage of nothing but a Custom-owned approval',
      [SOURCE, stage('Prod', approve(1, { owner: 'Custom' }))],
      UNAPPROVED_PROD,
    ],
    [
      'an entry rule that runs commands before the approval in the stage',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          BeforeEntry: { Conditions: [condition('FAIL', conditionRule('Deploy', 'Commands'))] },
        }),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'an entry rule that invokes a Lambda function before the approval in the stage',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          BeforeEntry: { Conditions: [condition('FAIL', conditionRule('Check', 'LambdaInvoke'))] },
        }),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'a read-only rule provider owned by someone else',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          BeforeEntry: { Conditions: [condition('FAIL', conditionRule('Check', 'VariableCheck', 'Custom'))] },
        }),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'a failure rule that runs commands when the approval in the stage is rejected',
      [
        SOURCE,
        withConditions(stage('Prod', approve(1), deploy(2)), {
          OnFailure: {
            Result: 'ROLLBACK',
            Conditions: [condition('ROLLBACK', conditionRule('Ship', 'Commands'))],
          },
        }),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'an approval stage just before that can be skipped on entry',
      [
        SOURCE,
        withConditions(stage('Approval', approve()), {
          BeforeEntry: { Conditions: [condition('SKIP', conditionRule('Variable', 'VariableCheck'))] },
        }),
        stage('Prod', deploy()),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'an approval stage just before that is skipped on failure',
      [
        SOURCE,
        withConditions(stage('Approval', approve()), { OnFailure: { Result: 'SKIP' } }),
        stage('Prod', deploy()),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'an approval stage just before whose failure rule invokes a Lambda function',
      [
        SOURCE,
        withConditions(stage('Approval', approve()), {
          OnFailure: {
            Result: 'ROLLBACK',
            Conditions: [condition('ROLLBACK', conditionRule('Ship', 'LambdaInvoke'))],
          },
        }),
        stage('Prod', deploy()),
      ],
      UNAPPROVED_PROD,
    ],
    [
      'two production stages',
      [SOURCE, stage('Prod-EU', deploy()), stage('Prod-US', deploy())],
      `stages 'Prod-EU' and 'Prod-US' deploy without a manual approval before their first action that can change anything`,
    ],
    [
      'three production stages, one approved',
      [
        SOURCE,
        stage('prod-1', deploy()),
        stage('prod-2', deploy()),
        stage('prod-3', approve(1), deploy(2)),
        stage('prod-4', deploy()),
      ],
      "stages 'prod-1', 'prod-2' and 'prod-4' deploy without",
    ],
    [
      'unknown run orders with no approval near the stage',
      [SOURCE, stage('Prod', deploy({ Ref: 'Order' }))],
      UNAPPROVED_PROD,
    ],
  ])('non-compliant: %s', (_name, stages, reason) => {
    const { Subject } = evaluateRule(rule, pipeline(stages, { Parameters: { Order: { Type: 'Number' } } }));
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'Stages' });
    expect(Subject.reason).toContain(reason);
  });

  it.each<[string, unknown]>([
    ['a pipeline without a production stage', [SOURCE, BUILD, UAT, stage('PreProd', deploy())]],
    ['a pipeline without stages', undefined],
    ['Stages that are a string', 'Prod'],
    ['Stages that are an object', { Name: 'Prod' }],
    ['stages of junk', [1, 'Prod', null, [], { Name: 'Build', Actions: 'junk' }]],
    [
      'actions of junk',
      [stage('Build', null, 1, 'x', { ActionTypeId: 'Deploy' }, { ActionTypeId: { Category: ['Deploy'] } })],
    ],
  ])('not applicable: %s', (_name, stages) => {
    const template = pipeline(stages, { Parameters: { StageName: { Type: 'String' } } });
    const { Subject } = evaluateRule(rule, template);
    expect(Subject).toMatchObject({
      status: 'not-applicable',
      reason: `has no production stage (no stage name matches /${DEFAULT_PATTERN}/)`,
    });
  });

  describe('params', () => {
    it.each([
      [{ caseSensitive: true }, [stage('prod', deploy())], 'non-compliant'],
      [{ caseSensitive: true }, [stage('Prod', deploy())], 'not-applicable'],
      [{ caseSensitive: true }, [stage('prod-eu', deploy())], 'non-compliant'],
      [{ productionStagePattern: 'Prod', caseSensitive: true }, [stage('Prod', deploy())], 'non-compliant'],
      [{ productionStagePattern: '^(live|prd)$' }, [stage('Prod', deploy())], 'not-applicable'],
      [{ productionStagePattern: '^(live|prd)$' }, [stage('LIVE', deploy())], 'non-compliant'],
      [{ productionStagePattern: '^(live|prd)$' }, [stage('live-eu', deploy())], 'not-applicable'],
      // A catalogue's own pattern is still searched in the name as written: `prod` finds NonProd.
      [{ productionStagePattern: 'prod' }, [stage('NonProd', deploy())], 'non-compliant'],
      [
        { productionStagePattern: '^ProdEU$', caseSensitive: true },
        [stage('ProdEU', deploy())],
        'non-compliant',
      ],
      // ...and in its words: `^prod eu$` finds Prod-EU, ProdEU and prod_eu.
      [{ productionStagePattern: '^prod eu$' }, [stage('ProdEU', deploy())], 'non-compliant'],
      [{ productionStagePattern: '^prod eu$' }, [stage('prod_eu', deploy())], 'non-compliant'],
      [{}, [stage('NonProd', deploy())], 'not-applicable'],
    ])('%j on %j is %s', (params, stages, status) => {
      expect(evaluateRule(rule, pipeline(stages), params).Subject.status).toBe(status);
    });

    it('names the pattern when no stage matches', () => {
      const { Subject } = evaluateRule(rule, pipeline([UAT]), {
        productionStagePattern: '^live$',
        caseSensitive: true,
      });
      expect(Subject.reason).toBe('has no production stage (no stage name matches /^live$/)');
    });

    it('rejects an invalid pattern', () => {
      expect(() => evaluateRule(rule, pipeline([UAT]), { productionStagePattern: '(' })).toThrow(
        /format "regex"/,
      );
    });

    it.each([['33333333333'], ['3333333333333'], ['prod'], [3]])('rejects the account id %j', (id) => {
      expect(() => evaluateRule(rule, pipeline([UAT]), { productionAccountIds: [id] })).toThrow(
        /invalid params/,
      );
    });
  });

  describe('production accounts (productionAccountIds)', () => {
    const params = { productionAccountIds: [PROD_ACCOUNT] };
    const imports = {
      Parameters: { DeployRole: { Type: 'String' }, Account: { Type: 'String' } },
      Resources: { Role: { Type: 'AWS::IAM::Role' } },
    };
    const judge = (
      stages: unknown[],
      account: string | undefined = PIPELINE_ACCOUNT,
      others: CfnTemplate[] = [],
    ) => evaluateIn(account, pipeline(stages, imports), params, others);

    it.each([
      ['a CDK Pipelines deploy into the account', [SOURCE, BUILD, stage('Release', deployTo(PROD_ACCOUNT))]],
      [
        'a CloudFormation execution role in the account (no action role)',
        [
          SOURCE,
          stage(
            'Release',
            deploy(1, 'Deploy', {
              Configuration: { RoleArn: `arn:aws:iam::${PROD_ACCOUNT}:role/cfn-exec` },
            }),
          ),
        ],
      ],
      [
        'a state machine of the account',
        [
          SOURCE,
          stage(
            'Release',
            action('Run', 'Invoke', 'StepFunctions', 1, {
              Configuration: {
                StateMachineArn: `arn:aws:states:eu-west-1:${PROD_ACCOUNT}:stateMachine:release`,
              },
            }),
          ),
        ],
      ],
      [
        'a role named with Fn::Sub',
        [
          SOURCE,
          stage(
            'Release',
            build(1, 'CdkDeploy'),
            deploy(2, 'Deploy', {
              RoleArn: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${PROD_ACCOUNT}:role/x` },
            }),
          ),
        ],
      ],
      [
        'an entry rule with a role in the account',
        [
          SOURCE,
          withConditions(stage('Release', approve()), {
            BeforeEntry: {
              Conditions: [
                condition('FAIL', { ...conditionRule('Ship', 'Commands'), RoleArn: roleIn(PROD_ACCOUNT) }),
              ],
            },
          }),
        ],
      ],
    ])('makes a stage production: %s', (_name, stages) => {
      expect(judge(stages)).toMatchObject({
        status: 'non-compliant',
        reason: unapproved(`'Release' (acting in production account ${PROD_ACCOUNT})`),
      });
    });

    it('names the account of a stage named by a parameter', () => {
      expect(judge([SOURCE, stage({ Ref: 'Account' }, deployTo(PROD_ACCOUNT))])).toMatchObject({
        status: 'non-compliant',
        reason: unapproved(`2 (acting in production account ${PROD_ACCOUNT})`),
      });
    });

    it("makes production every stage that acts in the pipeline's own account when it lives in a production account", () => {
      // Release deploys with a role in the UAT account; the build runs with the pipeline's role.
      const stages = [SOURCE, BUILD, stage('Release', deployTo(UAT_ACCOUNT))];
      expect(judge(stages, PROD_ACCOUNT)).toMatchObject({
        status: 'non-compliant',
        reason: unapproved(`'Build' (acting in production account ${PROD_ACCOUNT})`),
      });
    });

    it.each([
      [
        'an approval stage before the deploy',
        [SOURCE, stage('Gate', approve()), stage('Release', deployTo(PROD_ACCOUNT))],
      ],
      ['an approval first in the stage', [SOURCE, stage('Release', approve(1), deployTo(PROD_ACCOUNT, 2))]],
      [
        'an approval before a role from a parameter',
        [SOURCE, stage('Release', approve(1), deploy(2, 'Deploy', { RoleArn: { Ref: 'DeployRole' } }))],
      ],
    ])('compliant: %s', (_name, stages) => {
      expect(judge(stages).status).toBe('compliant');
    });

    it.each([
      ['a deploy into another account', [SOURCE, BUILD, stage('Release', deployTo(UAT_ACCOUNT))]],
      [
        'a role of the pipeline template',
        [SOURCE, stage('Release', deploy(1, 'Deploy', { RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] } }))],
      ],
      [
        "a role in the pipeline's own account (${AWS::AccountId})",
        [
          SOURCE,
          stage(
            'Release',
            deploy(1, 'Deploy', { RoleArn: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/x' } }),
          ),
        ],
      ],
      [
        'an ARN without an account in the Configuration',
        [
          SOURCE,
          stage(
            'Release',
            action('Upload', 'Deploy', 'S3', 1, { Configuration: { BucketArn: 'arn:aws:s3:::site' } }),
          ),
        ],
      ],
      [
        'a production role on an AWS manual approval, which changes nothing',
        [SOURCE, stage('Release', approve(1, { RoleArn: roleIn(PROD_ACCOUNT) }))],
      ],
    ])('not applicable: %s', (_name, stages) => {
      expect(judge(stages)).toMatchObject({
        status: 'not-applicable',
        reason: `has no production stage (no stage name matches /${DEFAULT_PATTERN}/ and no stage acts in a production account (${PROD_ACCOUNT}))`,
      });
    });

    it.each([
      [
        'a role from a parameter',
        [SOURCE, stage('Release', deploy(1, 'Deploy', { RoleArn: { Ref: 'DeployRole' } }))],
        "the RoleArn of action 'Deploy' in stage 'Release' comes from parameter DeployRole",
      ],
      [
        'a role imported from an export not in the templates',
        [SOURCE, stage('Release', deploy(1, 'Deploy', { RoleArn: { 'Fn::ImportValue': 'deploy-role' } }))],
        "the RoleArn of action 'Deploy' in stage 'Release' comes from import of export deploy-role",
      ],
      [
        'an account from a parameter inside the ARN',
        [
          SOURCE,
          stage(
            'Release',
            deploy(1, 'Deploy', { RoleArn: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${Account}:role/x' } }),
          ),
        ],
        "the account in the RoleArn of action 'Deploy' in stage 'Release' is ${Account}, known only at deploy time",
      ],
      [
        'a role ARN that is not an ARN',
        [SOURCE, stage('Release', deploy(1, 'Deploy', { RoleArn: 'deploy-role' }))],
        "the RoleArn of action 'Deploy' in stage 'Release' is 'deploy-role', not an ARN",
      ],
      [
        'a Configuration from a parameter',
        [
          SOURCE,
          stage(
            'Release',
            deploy(1, 'Deploy', { RoleArn: roleIn(UAT_ACCOUNT), Configuration: { Ref: 'DeployRole' } }),
          ),
        ],
        "the Configuration of action 'Deploy' in stage 'Release' comes from parameter DeployRole",
      ],
    ])('unverifiable: %s', (_name, stages, reason) => {
      expect(judge(stages)).toMatchObject({ status: 'unverifiable', reason: `${reason}${CANNOT_VERIFY}` });
    });

    it('cannot tell the account of an environment-agnostic pipeline stack', () => {
      expect(evaluateIn(undefined, pipeline([SOURCE, BUILD]), params)).toMatchObject({
        status: 'unverifiable',
        reason: `action 'Synth' in stage 'Build', without a RoleArn, runs in the account of stack Stack0, which is known only at deploy time${CANNOT_VERIFY}`,
      });
    });

    it("reads the account of a role imported from another stack from that stack's environment", () => {
      const exporter: CfnTemplate = {
        Resources: { DeployRole: { Type: 'AWS::IAM::Role' } },
        Outputs: {
          Role: { Value: { 'Fn::GetAtt': ['DeployRole', 'Arn'] }, Export: { Name: 'deploy-role' } },
        },
      };
      const stages = [
        SOURCE,
        stage('Release', deploy(1, 'Deploy', { RoleArn: { 'Fn::ImportValue': 'deploy-role' } })),
      ];
      expect(judge(stages, PIPELINE_ACCOUNT, [exporter]).status).toBe('not-applicable');
      expect(
        evaluateIn(PIPELINE_ACCOUNT, pipeline(stages), { productionAccountIds: [PIPELINE_ACCOUNT] }, [
          exporter,
        ]),
      ).toMatchObject({
        status: 'non-compliant',
        reason: unapproved(`'Release' (acting in production account ${PIPELINE_ACCOUNT})`),
      });
    });

    it('ignores accounts unless productionAccountIds names some', () => {
      const stages = [
        SOURCE,
        BUILD,
        stage('Release', deploy(1, 'Deploy', { RoleArn: { Ref: 'DeployRole' } })),
      ];
      expect(evaluateIn(undefined, pipeline(stages, imports), {}).status).toBe('not-applicable');
    });
  });

  it.each([
    [
      'a run order that is not a number',
      [SOURCE, stage('Prod', approve(1), deploy('abc'))],
      "the RunOrder of action 'Deploy' in stage 'Prod' is 'abc', not a positive whole number",
    ],
    [
      'a zero run order',
      [SOURCE, stage('Prod', approve(0), deploy(1))],
      "the RunOrder of action 'Approve' in stage 'Prod' is '0', not a positive whole number",
    ],
    [
      'an object run order',
      [SOURCE, stage('Prod', approve({ Nested: 1 }), deploy(2))],
      `the RunOrder of action 'Approve' in stage 'Prod' is {"Nested":1}`,
    ],
    [
      'a boolean run order',
      [SOURCE, stage('Prod', approve(1), deploy(true))],
      "the RunOrder of action 'Deploy' in stage 'Prod' is 'true', not a positive whole number",
    ],
    [
      'a condition result that is an object',
      [
        SOURCE,
        withConditions(stage('Gate', approve()), {
          BeforeEntry: { Conditions: [{ Result: { Skip: true } }] },
        }),
        stage('Prod', deploy()),
      ],
      `the Result of an entry condition of stage 'Gate' is {"Skip":true}`,
    ],
  ])('odd shape, unverifiable without throwing: %s', (_name, stages, reason) => {
    const { Subject } = evaluateRule(rule, pipeline(stages));
    expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
    expect(Subject.reason).toBe(`${reason}${CANNOT_VERIFY}`);
  });

  it.each([
    [
      'conditions of junk',
      { BeforeEntry: 'junk', OnFailure: { Conditions: [null, 1, 'x', { Rules: 'x' }] } },
      'compliant',
    ],
    // A rule that cannot be read as one that only looks counts as one that changes something.
    [
      'rules of junk',
      { BeforeEntry: { Conditions: [{ Result: 'FAIL', Rules: [null, 1, { RuleTypeId: 'x' }] }] } },
      'non-compliant',
    ],
    ['a numeric result', { OnFailure: { Result: 7 } }, 'compliant'],
  ])('odd condition shapes, without throwing: %s', (_name, conditions, status) => {
    const stages = [SOURCE, withConditions(stage('Prod', approve(1), deploy(2)), conditions)];
    expect(evaluateRule(rule, pipeline(stages)).Subject.status).toBe(status);
  });

  describe('intrinsics', () => {
    const parameters = {
      Parameters: {
        StageName: { Type: 'String' },
        Order: { Type: 'Number' },
        Category: { Type: 'String' },
        Owner: { Type: 'String' },
        Provider: { Type: 'String' },
        Result: { Type: 'String' },
      },
      Resources: { Repo: { Type: 'AWS::CodeCommit::Repository' } },
    };

    it.each([
      [
        'a deploying stage named by a parameter',
        [SOURCE, stage({ Ref: 'StageName' }, deploy())],
        'the name of stage 2 comes from parameter StageName',
      ],
      [
        'a building stage named by a parameter',
        [SOURCE, stage({ Ref: 'StageName' }, build())],
        'the name of stage 2 comes from parameter StageName',
      ],
      [
        'a deploying stage named by Fn::Sub with a parameter',
        [SOURCE, stage({ 'Fn::Sub': '${StageName}-eu' }, deploy())],
        'the name of stage 2 comes from Fn::Sub',
      ],
      [
        'a deploying stage named by a Ref to a resource',
        [SOURCE, stage({ Ref: 'Repo' }, deploy())],
        'the name of stage 2 is Ref Repo',
      ],
      [
        'a deploy run order from a parameter beside an approval',
        [SOURCE, stage('Prod', approve(1), deploy({ Ref: 'Order' }))],
        "the RunOrder of action 'Deploy' in stage 'Prod' comes from parameter Order",
      ],
      [
        'an action category from a parameter',
        [SOURCE, stage('Prod', action('Maybe', { Ref: 'Category' }, 'CloudFormation'))],
        "the Category of action 'Maybe' in stage 'Prod' comes from parameter Category",
      ],
      [
        'the owner of the approval from a parameter',
        [SOURCE, stage('Prod', approve(1, { owner: { Ref: 'Owner' } }), deploy(2))],
        "the Owner of action 'Approve' in stage 'Prod' comes from parameter Owner",
      ],
      [
        'the provider of the approval stage before from a parameter',
        [SOURCE, stage('Gate', action('Approve', 'Approval', { Ref: 'Provider' })), stage('Prod', deploy())],
        "the Provider of action 'Approve' in stage 'Gate' comes from parameter Provider",
      ],
      [
        'whether the approval stage before can be skipped, from a parameter',
        [
          SOURCE,
          withConditions(stage('Gate', approve()), {
            BeforeEntry: {
              Conditions: [condition({ Ref: 'Result' }, conditionRule('Variable', 'VariableCheck'))],
            },
          }),
          stage('Prod', deploy()),
        ],
        "the Result of an entry condition of stage 'Gate' comes from parameter Result",
      ],
      [
        'the provider of an entry rule from a parameter',
        [
          SOURCE,
          withConditions(stage('Prod', approve(1), deploy(2)), {
            BeforeEntry: { Conditions: [condition('FAIL', conditionRule('Check', { Ref: 'Provider' }))] },
          }),
        ],
        "the Provider of rule 'Check' of the entry conditions of stage 'Prod' comes from parameter Provider",
      ],
      [
        'a deploying stage named by an import not in the templates',
        [SOURCE, stage({ 'Fn::ImportValue': 'stage-name' }, deploy())],
        'the name of stage 2 comes from import of export stage-name',
      ],
    ])('unverifiable: %s', (_name, stages, reason) => {
      const { Subject } = evaluateRule(rule, pipeline(stages, parameters));
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
      expect(Subject.reason).toBe(`${reason}${CANNOT_VERIFY}`);
    });

    it('cannot verify Stages from a parameter', () => {
      const { Subject } = evaluateRule(
        rule,
        pipeline({ Ref: 'Stages' }, { Parameters: { Stages: { Type: 'String' } } }),
      );
      expect(Subject).toMatchObject({
        status: 'unverifiable',
        property: 'Stages',
        reason: 'Stages comes from parameter Stages, which is only known at deploy time',
      });
    });

    it('lists a decided failure before doubts about other stages', () => {
      const stages = [SOURCE, stage({ Ref: 'StageName' }, deploy()), stage('Prod', deploy())];
      expect(evaluateRule(rule, pipeline(stages, parameters)).Subject).toMatchObject({
        status: 'non-compliant',
        reason: UNAPPROVED_PROD,
      });
    });

    it('fails Fn::If when one branch drops the approval stage, naming the branch', () => {
      const stages = [
        SOURCE,
        { 'Fn::If': ['Gated', stage('Approval', approve()), { Ref: 'AWS::NoValue' }] },
        stage('Prod', deploy()),
      ];
      const { Subject } = evaluateRule(rule, pipeline(stages));
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'Stages' });
      expect(Subject.reason).toBe(`when condition Gated is false: ${UNAPPROVED_PROD}`);
    });

    it('fails Fn::If around the approval when one branch is a custom approval', () => {
      const custom = approve(1, { owner: 'Custom' });
      const stages = [SOURCE, stage('Live', { 'Fn::If': ['Strict', approve(1), custom] }, deploy(2))];
      const { Subject } = evaluateRule(rule, pipeline(stages));
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'Stages' });
      expect(Subject.reason).toBe(`when condition Strict is false: ${unapproved("'Live'")}`);
    });

    it('fails Fn::If on the owner of the approval', () => {
      const stages = [
        SOURCE,
        stage('Prod', approve(1, { owner: { 'Fn::If': ['Aws', 'AWS', 'ThirdParty'] } }), deploy(2)),
      ];
      expect(evaluateRule(rule, pipeline(stages)).Subject).toMatchObject({
        status: 'non-compliant',
        reason: `when condition Aws is false: ${UNAPPROVED_PROD}`,
      });
    });

    it('passes Fn::If when both branches approve first', () => {
      const stages = [SOURCE, stage('Prod', approve({ 'Fn::If': ['Fast', 1, '1'] }), deploy(2))];
      expect(evaluateRule(rule, pipeline(stages)).Subject.status).toBe('compliant');
    });

    it('follows Fn::ImportValue of a stage name exported by another stack', () => {
      const subject = pipeline([SOURCE, stage({ 'Fn::ImportValue': 'stage-name' }, deploy())]);
      const exporter: CfnTemplate = { Outputs: { X: { Value: 'Prod', Export: { Name: 'stage-name' } } } };
      expect(evaluateRule(rule, [subject, exporter]).Subject).toMatchObject({
        status: 'non-compliant',
        reason: UNAPPROVED_PROD,
      });
    });

    it('cannot verify a stage name imported from a resource of another stack', () => {
      const subject = pipeline([SOURCE, stage({ 'Fn::ImportValue': 'x' }, deploy())]);
      const exporter: CfnTemplate = {
        Resources: { Name: { Type: 'AWS::SSM::Parameter' } },
        Outputs: { X: { Value: { Ref: 'Name' }, Export: { Name: 'x' } } },
      };
      const { Subject } = evaluateRule(rule, [subject, exporter]);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
      expect(Subject.reason).toMatch(/^the name of stage 2 is Fn::ImportValue x, so/);
    });

    it('cannot verify a stage chosen by a Fn::If the engine did not expand (and does not throw)', () => {
      const tags = [1, 2, 3, 4, 5, 6].map((n) => ({
        'Fn::If': [`C${n}`, { Key: 'k', Value: 'v' }, { Ref: 'AWS::NoValue' }],
      }));
      const template = templateWith(PIPELINE, {
        Tags: tags,
        Stages: [SOURCE, { 'Fn::If': ['C7', stage('Prod', deploy()), stage('Test', test())] }],
      });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
      expect(Subject.reason).toMatch(/ is true: the name of stage 2 comes from Fn::If, so/);
    });
  });

  describe('with real CDK Pipelines', () => {
    const env = { account: PIPELINE_ACCOUNT, region: 'eu-west-1' };

    class AppStage extends Stage {
      constructor(scope: Construct, id: string, account = PIPELINE_ACCOUNT) {
        super(scope, id, { env: { ...env, account } });
        new sqs.Queue(new Stack(this, 'App'), 'Queue');
      }
    }

    function synthPipeline(
      stageName: string,
      stageOptions: { pre?: Array<ManualApprovalStep | ShellStep> },
      account = PIPELINE_ACCOUNT,
    ): CfnTemplate {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'PipelineStack', { env });
      const repo = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      const pipeline = new CodePipeline(stack, 'Pipeline', {
        crossAccountKeys: true,
        synth: new ShellStep('Synth', {
          input: CodePipelineSource.codeCommit(repo, 'main'),
          commands: ['npm ci', 'npx cdk synth'],
        }),
      });
      pipeline.addStage(new AppStage(app, 'UAT'));
      pipeline.addStage(new AppStage(app, stageName, account), stageOptions);
      return app.synth().getStackByName('PipelineStack').template as CfnTemplate;
    }

    /** Judged as the pack does: the pipeline stack's account is known. */
    const judge = (template: CfnTemplate, params = {}) => evaluateIn(PIPELINE_ACCOUNT, template, params);

    it('flags a pipeline that deploys to Prod without approval', () => {
      expect(judge(synthPipeline('Prod', {}))).toMatchObject({
        status: 'non-compliant',
        property: 'Stages',
        reason: UNAPPROVED_PROD,
      });
    });

    it('flags a pipeline that deploys to a stage named Live without approval', () => {
      expect(judge(synthPipeline('Live', {}))).toMatchObject({
        status: 'non-compliant',
        reason: unapproved("'Live'"),
      });
    });

    it('flags a ShellStep that runs beside the ManualApprovalStep in the pre steps', () => {
      const pre = [
        new ManualApprovalStep('Approve'),
        new ShellStep('Migrate', { commands: ['./migrate.sh'] }),
      ];
      expect(judge(synthPipeline('Prod', { pre }))).toMatchObject({
        status: 'non-compliant',
        reason: UNAPPROVED_PROD,
      });
    });

    it('flags a stage with a harmless name that deploys to a production account', () => {
      const template = synthPipeline('Release', {}, PROD_ACCOUNT);
      expect(judge(template).status).toBe('not-applicable');
      expect(judge(template, { productionAccountIds: [PROD_ACCOUNT] })).toMatchObject({
        status: 'non-compliant',
        reason: unapproved(`'Release' (acting in production account ${PROD_ACCOUNT})`),
      });
    });

    it('passes a pipeline with a ManualApprovalStep before Prod', () => {
      expect(judge(synthPipeline('Prod', { pre: [new ManualApprovalStep('Approve')] })).status).toBe(
        'compliant',
      );
    });

    it('passes a ManualApprovalStep before a production account', () => {
      const template = synthPipeline('Release', { pre: [new ManualApprovalStep('Approve')] }, PROD_ACCOUNT);
      expect(judge(template, { productionAccountIds: [PROD_ACCOUNT] }).status).toBe('compliant');
    });
  });

  describe('with a real codepipeline.Pipeline', () => {
    function synthPipeline(
      build: (
        pipeline: codepipeline.Pipeline,
        cdkDeploy: (runOrder?: number) => codepipeline.IAction,
      ) => void,
    ): CfnTemplate {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Stack', { env: { account: PIPELINE_ACCOUNT, region: 'eu-west-1' } });
      const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
        pipelineType: codepipeline.PipelineType.V2,
      });
      const source = new codepipeline.Artifact();
      pipeline.addStage({
        stageName: 'Source',
        actions: [
          new codepipeline_actions.S3SourceAction({
            actionName: 'Get',
            bucket: new s3.Bucket(stack, 'Source', { versioned: true }),
            bucketKey: 'a.zip',
            output: source,
          }),
        ],
      });
      const cdkDeploy = (runOrder?: number) =>
        new codepipeline_actions.CodeBuildAction({
          actionName: 'CdkDeploy',
          runOrder,
          input: source,
          project: new codebuild.PipelineProject(stack, `Deploy${runOrder ?? ''}`, {
            buildSpec: codebuild.BuildSpec.fromObject({
              phases: { build: { commands: ['npx cdk deploy --all'] } },
            }),
          }),
        });
      build(pipeline, cdkDeploy);
      return app.synth().getStackByName('Stack').template as CfnTemplate;
    }

    const judge = (template: CfnTemplate) => Object.values(evaluateRule(rule, template))[0];

    it('flags a CodeBuild action running cdk deploy in a prd stage', () => {
      const template = synthPipeline((pipeline, cdkDeploy) =>
        pipeline.addStage({ stageName: 'prd', actions: [cdkDeploy()] }),
      );
      expect(judge(template)).toMatchObject({ status: 'non-compliant', reason: unapproved("'prd'") });
    });

    it('passes a ManualApprovalAction before the CodeBuild action', () => {
      const template = synthPipeline((pipeline, cdkDeploy) =>
        pipeline.addStage({
          stageName: 'prd',
          actions: [
            new codepipeline_actions.ManualApprovalAction({ actionName: 'Approve', runOrder: 1 }),
            cdkDeploy(2),
          ],
        }),
      );
      expect(judge(template).status).toBe('compliant');
    });

    it('flags an entry condition that runs commands before the approval of the stage', () => {
      const template = synthPipeline((pipeline, cdkDeploy) =>
        pipeline.addStage({
          stageName: 'Prod',
          actions: [
            new codepipeline_actions.ManualApprovalAction({ actionName: 'Approve', runOrder: 1 }),
            cdkDeploy(2),
          ],
          beforeEntry: {
            conditions: [
              {
                result: codepipeline.Result.FAIL,
                rules: [
                  new codepipeline.Rule({
                    name: 'Ship',
                    provider: 'Commands',
                    version: '1',
                    commands: ['npx cdk deploy --all'],
                  }),
                ],
              },
            ],
          },
        }),
      );
      expect(judge(template)).toMatchObject({ status: 'non-compliant', reason: UNAPPROVED_PROD });
    });

    it('flags an approval stage that a variable check may skip', () => {
      const template = synthPipeline((pipeline, cdkDeploy) => {
        pipeline.addStage({
          stageName: 'Approval',
          actions: [new codepipeline_actions.ManualApprovalAction({ actionName: 'Approve' })],
          beforeEntry: {
            conditions: [
              {
                result: codepipeline.Result.SKIP,
                rules: [
                  new codepipeline.Rule({
                    name: 'Hotfix',
                    provider: 'VariableCheck',
                    version: '1',
                    configuration: { Variable: '#{variables.hotfix}', Value: 'false', Operator: 'EQ' },
                  }),
                ],
              },
            ],
          },
        });
        pipeline.addStage({ stageName: 'Prod', actions: [cdkDeploy()] });
      });
      expect(judge(template)).toMatchObject({ status: 'non-compliant', reason: UNAPPROVED_PROD });
    });
  });
});

describe('manual-approval-before-production remediation (ManualApprovalBeforeProduction)', () => {
  const FINDING = 'Enterprise-CodePipeline.1';
  const env = { account: '111111111111', region: 'eu-west-1' };
  const APPROVAL_ACTION = {
    Name: 'Approve',
    ActionTypeId: { Category: 'Approval', Owner: 'AWS', Provider: 'Manual', Version: '1' },
    RunOrder: 1,
  };

  class AppStage extends Stage {
    constructor(scope: Construct, id: string, account = env.account) {
      super(scope, id, { env: { ...env, account } });
      new sqs.Queue(new Stack(this, 'App'), 'Queue');
    }
  }

  interface PipelineOptions {
    readonly uat?: { pre?: ManualApprovalStep[] };
    readonly prod?: { pre?: Array<ManualApprovalStep | ShellStep> };
    /** The name of the last stage. @default Prod */
    readonly prodName?: string;
    /** The account of the last stage. @default the pipeline's */
    readonly prodAccount?: string;
    readonly validate?: boolean;
  }

  /** A CDK Pipelines app with UAT and Prod stages; the Aspects go on the App at MUTATING priority. */
  function synthPipeline(aspects: IAspect[], options: PipelineOptions = {}) {
    const app = new App(
      options.validate
        ? { context: { '@aws-cdk/core:validateAgainstDefaultRules': true } }
        : { builtinCloudFormationValidation: false },
    );
    const stack = new Stack(app, 'PipelineStack', { env });
    const repo = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
    const pipeline = new CodePipeline(stack, 'Pipeline', {
      crossAccountKeys: options.prodAccount !== undefined,
      synth: new ShellStep('Synth', {
        input: CodePipelineSource.codeCommit(repo, 'main'),
        commands: ['npx cdk synth'],
      }),
    });
    pipeline.addStage(new AppStage(app, 'UAT'), options.uat);
    pipeline.addStage(new AppStage(app, options.prodName ?? 'Prod', options.prodAccount), options.prod);
    for (const aspect of aspects) Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
    const template = app.synth().getStackByName('PipelineStack').template as CfnTemplate;
    return { template, pipeline };
  }

  type StageJson = { Name: unknown; Actions: Array<Record<string, unknown>> };
  const pipelineOf = (template: CfnTemplate) =>
    Object.values(template.Resources ?? {}).find((r) => r.Type === PIPELINE)!;
  const stagesOf = (template: CfnTemplate) => pipelineOf(template).Properties?.Stages as StageJson[];
  const stageNames = (template: CfnTemplate) => stagesOf(template).map((s) => s.Name);
  const statusOf = (template: CfnTemplate) => Object.values(evaluateRule(rule, template))[0].status;

  describe('on a CDK Pipelines app', () => {
    it('adds an approval stage before Prod in the lazily built pipeline, which then passes the rule', () => {
      const { template, pipeline } = synthPipeline([new ManualApprovalBeforeProduction()]);
      expect(statusOf(template)).toBe('compliant');
      expect(stageNames(template)).toEqual([
        'Source',
        'Build',
        'UpdatePipeline',
        'UAT',
        'ApproveProd',
        'Prod',
      ]);
      expect(stagesOf(template)[4].Actions).toEqual([
        {
          ...APPROVAL_ACTION,
          RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/ApproveProdApprove/), 'Arn'] },
        },
      ]);
      expect(remediationRecords(pipeline.pipeline)).toEqual([
        {
          findingId: FINDING,
          changes: ["added stage 'ApproveProd' with a manual approval action to Stages just before 'Prod'"],
        },
      ]);
    });

    it('leaves UAT and the other stages as they were', () => {
      const unfixed = stagesOf(synthPipeline([]).template);
      const fixed = stagesOf(synthPipeline([new ManualApprovalBeforeProduction()]).template);
      expect(fixed.filter((stage) => stage.Name !== 'ApproveProd')).toEqual(unfixed);
    });

    it("gives the approval the action role the L2 pipeline creates, which the pipeline's role may assume", () => {
      const { template } = synthPipeline([new ManualApprovalBeforeProduction()]);
      const resources = template.Resources ?? {};
      const [roleId] = (stagesOf(template)[4].Actions[0].RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'];
      expect(resources[roleId]).toMatchObject({
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: expect.anything() } }],
          },
        },
      });
      expect(resources[roleId].Properties?.Policies).toBeUndefined();
      const pipelineRoleStatements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: unknown[] }).Statement);
      expect(pipelineRoleStatements).toContainEqual({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
      });
    });

    it('changes nothing when applied twice (two instances)', () => {
      const once = synthPipeline([new ManualApprovalBeforeProduction()]).template;
      const twice = synthPipeline([
        new ManualApprovalBeforeProduction(),
        new ManualApprovalBeforeProduction(),
      ]).template;
      expect(twice).toEqual(once);
    });

    it('leaves a pipeline with a ManualApprovalStep before Prod unchanged, recording nothing', () => {
      const prod = { pre: [new ManualApprovalStep('Approve')] };
      const unfixed = synthPipeline([], { prod }).template;
      const { template, pipeline } = synthPipeline([new ManualApprovalBeforeProduction()], { prod });
      expect(template).toEqual(unfixed);
      expect(statusOf(template)).toBe('compliant');
      expect(remediationRecords(pipeline.pipeline)).toEqual([]);
    });

    it("keeps the user's approvals and follows the control's productionStagePattern", () => {
      const catalogue = singleRuleCatalogue(rule, { productionStagePattern: '^(uat|prod)$' });
      const { template, pipeline } = synthPipeline([new ManualApprovalBeforeProduction({ catalogue })], {
        uat: { pre: [new ManualApprovalStep('SignOff')] },
      });
      expect(stageNames(template)).toEqual([
        'Source',
        'Build',
        'UpdatePipeline',
        'UAT',
        'ApproveProd',
        'Prod',
      ]);
      expect(stagesOf(template)[3].Actions[0]).toMatchObject({
        Name: 'SignOff',
        ActionTypeId: { Category: 'Approval', Provider: 'Manual' },
      });
      expect(
        Object.values(evaluateRule(rule, template, { productionStagePattern: '^(uat|prod)$' }))[0].status,
      ).toBe('compliant');
      expect(remediationRecords(pipeline.pipeline)).toEqual([
        {
          findingId: 'Test-Rule.1',
          changes: ["added stage 'ApproveProd' with a manual approval action to Stages just before 'Prod'"],
        },
      ]);
    });

    it('adds an approval stage before a stage named Live', () => {
      const { template } = synthPipeline([new ManualApprovalBeforeProduction()], { prodName: 'Live' });
      expect(statusOf(template)).toBe('compliant');
      expect(stageNames(template).slice(-2)).toEqual(['ApproveLive', 'Live']);
    });

    it('adds an approval stage before Prod when a ShellStep runs beside the ManualApprovalStep', () => {
      const prod = {
        pre: [new ManualApprovalStep('Approve'), new ShellStep('Migrate', { commands: ['./migrate.sh'] })],
      };
      const { template } = synthPipeline([new ManualApprovalBeforeProduction()], { prod });
      expect(statusOf(template)).toBe('compliant');
      expect(stageNames(template).slice(-2)).toEqual(['ApproveProd', 'Prod']);
    });

    it("adds an approval stage before a stage that deploys to one of the control's productionAccountIds", () => {
      const params = { productionAccountIds: [PROD_ACCOUNT] };
      const catalogue = singleRuleCatalogue(rule, params);
      const build = (aspects: IAspect[]) =>
        synthPipeline(aspects, { prodName: 'Release', prodAccount: PROD_ACCOUNT });
      const statusIn = (template: CfnTemplate) => evaluateIn(PIPELINE_ACCOUNT, template, params).status;
      expect(statusIn(build([]).template)).toBe('non-compliant');
      const { template, pipeline } = build([new ManualApprovalBeforeProduction({ catalogue })]);
      expect(statusIn(template)).toBe('compliant');
      expect(stageNames(template).slice(-2)).toEqual(['ApproveRelease', 'Release']);
      expect(remediationRecords(pipeline.pipeline)).toEqual([
        {
          findingId: 'Test-Rule.1',
          changes: [
            "added stage 'ApproveRelease' with a manual approval action to Stages just before 'Release'",
          ],
        },
      ]);
      const twice = build([
        new ManualApprovalBeforeProduction({ catalogue }),
        new ManualApprovalBeforeProduction({ catalogue }),
      ]).template;
      expect(twice).toEqual(template);
    });

    it('gives a template that passes the CloudFormation validator bundled with aws-cdk-lib', () => {
      let template!: CfnTemplate;
      expect(() => {
        template = synthPipeline([new ManualApprovalBeforeProduction()], { validate: true }).template;
      }).not.toThrow();
      expect(statusOf(template)).toBe('compliant');
    });
  });

  describe('on an L2 codepipeline.Pipeline', () => {
    it('adds one approval stage before each production stage, named apart from existing stages', () => {
      let pipeline!: codepipeline.Pipeline;
      const { template } = synthWithAspects((stack) => {
        const source = new codepipeline.Artifact();
        const bucket = new s3.Bucket(stack, 'Source', { versioned: true });
        pipeline = new codepipeline.Pipeline(stack, 'Pipeline');
        pipeline.addStage({
          stageName: 'Source',
          actions: [
            new codepipeline_actions.S3SourceAction({
              actionName: 'Get',
              bucket,
              bucketKey: 'a.zip',
              output: source,
            }),
          ],
        });
        const deployTo = (stageName: string) =>
          pipeline.addStage({
            stageName,
            actions: [
              new codepipeline_actions.S3DeployAction({
                actionName: 'Deploy',
                bucket,
                input: source,
                extract: true,
              }),
            ],
          });
        // A stage that happens to have the name the fix would choose and approves nothing: it is
        // production by name and runs an invoke, so it gets an approval of its own.
        pipeline.addStage({
          stageName: 'ApproveProd-EU',
          actions: [
            new codepipeline_actions.LambdaInvokeAction({
              actionName: 'Smoke',
              lambda: lambda.Function.fromFunctionArn(
                stack,
                'Smoke',
                'arn:aws:lambda:eu-west-1:111111111111:function:smoke',
              ),
            }),
          ],
        });
        deployTo('Prod-EU');
        deployTo('Prod-US');
      }, new ManualApprovalBeforeProduction());
      expect(statusOf(template)).toBe('compliant');
      expect(stageNames(template)).toEqual([
        'Source',
        'ApproveApproveProd-EU',
        'ApproveProd-EU',
        'ApproveProd-EU2',
        'Prod-EU',
        'ApproveProd-US',
        'Prod-US',
      ]);
      expect(remediationRecords(pipeline)).toEqual([
        {
          findingId: FINDING,
          changes: [
            "added stage 'ApproveApproveProd-EU' with a manual approval action to Stages just before 'ApproveProd-EU'",
            "added stage 'ApproveProd-EU2' with a manual approval action to Stages just before 'Prod-EU'",
            "added stage 'ApproveProd-US' with a manual approval action to Stages just before 'Prod-US'",
          ],
        },
      ]);
    });
  });

  describe('on an L2 codepipeline.Pipeline with a CodeBuild action in a prd stage', () => {
    const build = (stack: Stack) => {
      const pipeline = new codepipeline.Pipeline(stack, 'Pipeline');
      const source = new codepipeline.Artifact();
      pipeline.addStage({
        stageName: 'Source',
        actions: [
          new codepipeline_actions.S3SourceAction({
            actionName: 'Get',
            bucket: new s3.Bucket(stack, 'Source', { versioned: true }),
            bucketKey: 'a.zip',
            output: source,
          }),
        ],
      });
      pipeline.addStage({
        stageName: 'prd',
        actions: [
          new codepipeline_actions.CodeBuildAction({
            actionName: 'CdkDeploy',
            input: source,
            project: new codebuild.PipelineProject(stack, 'Deploy'),
          }),
        ],
      });
    };

    it('adds an approval stage before it, which then passes the rule; twice changes nothing', () => {
      const unfixed = synthWithAspects(build).template;
      expect(statusOf(unfixed)).toBe('non-compliant');
      const once = synthWithAspects(build, new ManualApprovalBeforeProduction()).template;
      expect(statusOf(once)).toBe('compliant');
      expect(stageNames(once)).toEqual(['Source', 'Approveprd', 'prd']);
      const twice = synthWithAspects(
        build,
        new ManualApprovalBeforeProduction(),
        new ManualApprovalBeforeProduction(),
      ).template;
      expect(twice).toEqual(once);
    });
  });

  describe('on a CfnPipeline of its own (typed Stages)', () => {
    const typedAction = (name: string, category: string, provider: string, runOrder = 1) => ({
      name,
      actionTypeId: { category, owner: 'AWS', provider, version: '1' },
      runOrder,
    });
    const typedStage = (name: string, ...actions: ReturnType<typeof typedAction>[]) => ({ name, actions });
    const SOURCE_STAGE = typedStage('Source', typedAction('Checkout', 'Source', 'CodeCommit'));
    const deployAction = (runOrder = 1) => typedAction('Deploy', 'Deploy', 'CloudFormation', runOrder);
    const cfnPipeline = (stack: Stack, stages: codepipeline.CfnPipelineProps['stages']) =>
      new codepipeline.CfnPipeline(stack, 'Pipeline', {
        roleArn: 'arn:aws:iam::111111111111:role/pipeline',
        artifactStore: { type: 'S3', location: 'artifacts' },
        stages,
      });

    it('inserts an approval stage into the typed stages, keeping the stages and approvals the user set', () => {
      let pipeline!: codepipeline.CfnPipeline;
      const stages = [
        SOURCE_STAGE,
        typedStage('UAT', deployAction()),
        typedStage('Prod-EU', typedAction('Approve', 'Approval', 'Manual', 1), deployAction(2)),
        typedStage('Prod-US', deployAction()),
      ];
      const build = (stack: Stack) => {
        pipeline = cfnPipeline(stack, stages);
      };
      const unfixed = stagesOf(synthWithAspects(build).template);
      const { template } = synthWithAspects(build, new ManualApprovalBeforeProduction());
      expect(statusOf(template)).toBe('compliant');
      expect(stagesOf(template)).toEqual([
        ...unfixed.slice(0, 3),
        { Name: 'ApproveProd-US', Actions: [APPROVAL_ACTION] },
        unfixed[3],
      ]);
      expect(remediationRecords(pipeline)).toEqual([
        {
          findingId: FINDING,
          changes: [
            "added stage 'ApproveProd-US' with a manual approval action to Stages just before 'Prod-US'",
          ],
        },
      ]);
      // No role, permission or dependency is needed for a manual approval.
      expect(Object.keys(template.Resources ?? {})).toEqual(['Pipeline']);
    });

    it('changes nothing when applied twice (two instances)', () => {
      const build = (stack: Stack) => {
        cfnPipeline(stack, [SOURCE_STAGE, typedStage('Prod', deployAction())]);
      };
      const once = synthWithAspects(build, new ManualApprovalBeforeProduction()).template;
      const twice = synthWithAspects(
        build,
        new ManualApprovalBeforeProduction(),
        new ManualApprovalBeforeProduction(),
      ).template;
      expect(twice).toEqual(once);
      expect(stageNames(once)).toEqual(['Source', 'ApproveProd', 'Prod']);
    });

    it('approves a stage left unapproved in one Fn::If branch', () => {
      const { template } = synthWithAspects((stack) => {
        // Inside an intrinsic CDK does not rename typed properties: the stage is written as CloudFormation.
        const gate = Fn.conditionIf('Gated', stage('Gate', approve()), Fn.ref('AWS::NoValue'));
        cfnPipeline(stack, [SOURCE_STAGE, gate, typedStage('Prod', deployAction())]);
      }, new ManualApprovalBeforeProduction());
      expect(stageNames(template)).toEqual(['Source', undefined, 'ApproveProd', 'Prod']);
      expect(statusOf(template)).toBe('compliant');
    });

    describe('cannot be applied', () => {
      it('to a pipeline that is not a codepipeline.CfnPipeline', () => {
        let raw!: CfnResource;
        const properties = {
          Stages: [stage('Source', action('Checkout', 'Source', 'CodeCommit')), stage('Prod', deploy())],
        };
        const { template } = synthWithAspects((stack) => {
          raw = new CfnResource(stack, 'Raw', { type: PIPELINE, properties });
        }, new ManualApprovalBeforeProduction());
        expect(pipelineOf(template).Properties).toEqual(properties);
        expect(remediationRecords(raw)).toEqual([
          {
            findingId: FINDING,
            notApplied:
              'the pipeline is not a codepipeline.CfnPipeline, so no approval stage can be added to it',
          },
        ]);
      });

      it('to Stages computed as a whole (Fn::If)', () => {
        let pipeline!: codepipeline.CfnPipeline;
        const build = (stack: Stack) => {
          const withGate = [SOURCE, stage('Gate', approve()), stage('Prod', deploy())];
          pipeline = cfnPipeline(stack, Fn.conditionIf('Gated', withGate, [SOURCE, stage('Prod', deploy())]));
        };
        const unfixed = synthWithAspects(build).template;
        const { template } = synthWithAspects(build, new ManualApprovalBeforeProduction());
        expect(template).toEqual(unfixed);
        expect(remediationRecords(pipeline)).toEqual([
          {
            findingId: FINDING,
            notApplied:
              "Stages is Fn::If, computed as a whole, so no stage can be inserted; add a stage holding a manual approval just before 'Prod'",
          },
        ]);
      });

      it('before a stage that is itself chosen by Fn::If', () => {
        let pipeline!: codepipeline.CfnPipeline;
        const build = (stack: Stack) => {
          const prod = Fn.conditionIf('Live', stage('Prod', deploy()), stage('Test', deploy()));
          pipeline = cfnPipeline(stack, [SOURCE_STAGE, prod]);
        };
        const unfixed = synthWithAspects(build).template;
        const { template } = synthWithAspects(build, new ManualApprovalBeforeProduction());
        expect(template).toEqual(unfixed);
        expect(remediationRecords(pipeline)).toEqual([
          {
            findingId: FINDING,
            notApplied:
              "stage 'Prod' is not a plain entry of the typed Stages list (it comes from a token or Fn::If), so no stage can be inserted before it; add a stage holding a manual approval just before it",
          },
        ]);
      });
    });
  });
});
