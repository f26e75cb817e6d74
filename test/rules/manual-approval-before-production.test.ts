import {
  App,
  AspectPriority,
  Aspects,
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
import { ManualApprovalBeforeProduction } from '../../src/remediations/aspects';
import rule from '../../src/rules/manual-approval-before-production';
import { CfnTemplate } from '../../src/engine/template';
import {
  evaluateRule,
  remediationRecords,
  singleRuleCatalogue,
  synthWithAspects,
  templateWith,
} from '../helpers';

const PIPELINE = 'AWS::CodePipeline::Pipeline';

function action(name: unknown, category: unknown, provider: unknown, runOrder?: unknown) {
  return {
    Name: name,
    ActionTypeId: { Category: category, Owner: 'AWS', Provider: provider, Version: '1' },
    ...(runOrder === undefined ? {} : { RunOrder: runOrder }),
  };
}

const approve = (runOrder?: unknown) => action('Approve', 'Approval', 'Manual', runOrder);
const deploy = (runOrder?: unknown, name = 'Deploy') => action(name, 'Deploy', 'CloudFormation', runOrder);
const test = (runOrder?: unknown) => action('Test', 'Test', 'CodeBuild', runOrder);
const stage = (name: unknown, ...actions: unknown[]) => ({ Name: name, Actions: actions });

const SOURCE = stage('Source', action('Checkout', 'Source', 'CodeCommit'));
const BUILD = stage('Build', action('Synth', 'Build', 'CodeBuild'));
const UAT = stage('UAT', deploy(1, 'Prepare'), deploy(2));

const UNAPPROVED_PROD = "stage 'Prod' deploys without a manual approval before its first deploy action";

function pipeline(stages: unknown, extra: Partial<CfnTemplate> = {}) {
  return templateWith(PIPELINE, { Stages: stages }, extra);
}

describe('manual-approval-before-production', () => {
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
      [SOURCE, UAT, stage('Staging', deploy()), stage('Prod', approve(1), deploy(2))],
    ],
    ['a stage name matched case-insensitively', [SOURCE, stage('PRODUCTION', approve(1), deploy(2))]],
    ['a production stage that does not deploy', [SOURCE, UAT, stage('Prod', test())]],
    ['a production stage whose actions are junk', [SOURCE, { Name: 'Prod', Actions: 'junk' }]],
    ['a stage named by a parameter that does not deploy', [SOURCE, stage({ Ref: 'StageName' }, test())]],
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
    [
      'two production stages',
      [SOURCE, stage('Prod-EU', deploy()), stage('Prod-US', deploy())],
      "stages 'Prod-EU' and 'Prod-US' deploy without a manual approval before their first deploy action",
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
    ['a pipeline without a production stage', [SOURCE, BUILD, UAT]],
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
      reason: 'has no production stage (no stage name matches /prod/i)',
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
      [{}, [stage('NonProd', deploy())], 'non-compliant'],
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
  ])('odd shape, unverifiable without throwing: %s', (_name, stages, reason) => {
    const { Subject } = evaluateRule(rule, pipeline(stages));
    expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
    expect(Subject.reason).toBe(
      `${reason}, so whether a manual approval precedes the production deployment cannot be verified`,
    );
  });

  describe('intrinsics', () => {
    const parameters = {
      Parameters: { StageName: { Type: 'String' }, Order: { Type: 'Number' }, Category: { Type: 'String' } },
      Resources: { Repo: { Type: 'AWS::CodeCommit::Repository' } },
    };

    it.each([
      [
        'a deploying stage named by a parameter',
        [SOURCE, stage({ Ref: 'StageName' }, deploy())],
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
        'a deploying stage named by an import not in the templates',
        [SOURCE, stage({ 'Fn::ImportValue': 'stage-name' }, deploy())],
        'the name of stage 2 comes from import of export stage-name',
      ],
    ])('unverifiable: %s', (_name, stages, reason) => {
      const { Subject } = evaluateRule(rule, pipeline(stages, parameters));
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'Stages' });
      expect(Subject.reason).toBe(
        `${reason}, so whether a manual approval precedes the production deployment cannot be verified`,
      );
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
    const env = { account: '111111111111', region: 'eu-west-1' };

    class AppStage extends Stage {
      constructor(scope: Construct, id: string) {
        super(scope, id, { env });
        new sqs.Queue(new Stack(this, 'App'), 'Queue');
      }
    }

    function synthPipeline(prodOptions: { pre?: ManualApprovalStep[] }): CfnTemplate {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'PipelineStack', { env });
      const repo = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      const pipeline = new CodePipeline(stack, 'Pipeline', {
        synth: new ShellStep('Synth', {
          input: CodePipelineSource.codeCommit(repo, 'main'),
          commands: ['npm ci', 'npx cdk synth'],
        }),
      });
      pipeline.addStage(new AppStage(app, 'UAT'));
      pipeline.addStage(new AppStage(app, 'Prod'), prodOptions);
      return app.synth().getStackByName('PipelineStack').template as CfnTemplate;
    }

    it('flags a pipeline that deploys to Prod without approval', () => {
      const [evaluation] = Object.values(evaluateRule(rule, synthPipeline({})));
      expect(evaluation).toMatchObject({
        status: 'non-compliant',
        property: 'Stages',
        reason: UNAPPROVED_PROD,
      });
    });

    it('passes a pipeline with a ManualApprovalStep before Prod', () => {
      const [evaluation] = Object.values(
        evaluateRule(rule, synthPipeline({ pre: [new ManualApprovalStep('Approve')] })),
      );
      expect(evaluation.status).toBe('compliant');
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
    constructor(scope: Construct, id: string) {
      super(scope, id, { env });
      new sqs.Queue(new Stack(this, 'App'), 'Queue');
    }
  }

  interface PipelineOptions {
    readonly uat?: { pre?: ManualApprovalStep[] };
    readonly prod?: { pre?: ManualApprovalStep[] };
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
      synth: new ShellStep('Synth', {
        input: CodePipelineSource.codeCommit(repo, 'main'),
        commands: ['npx cdk synth'],
      }),
    });
    pipeline.addStage(new AppStage(app, 'UAT'), options.uat);
    pipeline.addStage(new AppStage(app, 'Prod'), options.prod);
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
        // A stage that happens to have the name the fix would choose, and approves nothing.
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
            "added stage 'ApproveProd-EU2' with a manual approval action to Stages just before 'Prod-EU'",
            "added stage 'ApproveProd-US' with a manual approval action to Stages just before 'Prod-US'",
          ],
        },
      ]);
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
