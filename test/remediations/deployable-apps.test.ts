import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_logs as logs,
  aws_lambda as lambda,
  aws_lambda_event_sources as sources,
  aws_s3 as s3,
  aws_s3_notifications as s3n,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
  aws_sqs as sqs,
  CfnParameter,
  CloudFormationValidatePlugin,
  Fn,
  aws_iam as iam,
  NestedStack,
  RemovalPolicy,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { buildExampleApp } from '../../examples/pipeline-app/app';
import { PipelineStack } from '../../examples/pipeline-app/pipeline-stack';
import { REMEDIATION_SETTINGS } from '../../examples/pipeline-app/remediation-settings';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations, isFinding } from '../../src';
import { Evaluation } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import { remediationRecords, silenceCdkReports } from '../helpers';

silenceCdkReports();

/**
 * The customer-managed-key fix on real apps, synthesized with aws-cdk-lib's bundled CloudFormation
 * validator turned into errors (so `app.synth()` throws on a cycle, F3004, or a Ref to a resource the
 * template does not have, F1020), at the strictest rating, with the pack reporting what is left.
 */

const ENV = { account: '111111111111', region: 'eu-west-1' };
const VALIDATED = { '@aws-cdk/core:validateAgainstDefaultRules': true };
const REMEDIATIONS = { ...REMEDIATION_SETTINGS, rating: 'C3I3A3' } as const;

/**
 * Findings that remain on purpose, each with its reason (the README lists them as not fixable by
 * this fix). CDK's own provider functions are raw CfnResources another control handles.
 */
const DOCUMENTED: ReadonlyArray<{ control: string; path: RegExp; why: string }> = [
  {
    control: 'Lambda.1',
    path: /BucketNotificationsHandler/,
    why: "CDK's S3 notifications provider function is not a lambda.CfnFunction (the Lambda.1 fix's business)",
  },
  {
    control: 'DynamoDB.3',
    path: /./,
    why: 'a global table (TableV2) sets point-in-time recovery per replica, in a list: the control has no automatic fix',
  },
  {
    control: 'DynamoDB.4',
    path: /./,
    why: 'a global table (TableV2) sets deletion protection per replica, in a list: the control has no automatic fix',
  },
];

function isDocumented(finding: Evaluation): boolean {
  const where = finding.constructPath ?? finding.logicalId;
  return DOCUMENTED.some((d) => finding.controlId === d.control && d.path.test(where));
}

interface Synthesized {
  readonly app: App;
  readonly outdir: string;
  readonly pack: EnterpriseCatalogueChecks;
  /** Every template of the assembly, nested stacks and Stage stacks included, by file. */
  readonly templates: Record<string, CfnTemplate>;
}

function templateFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return templateFiles(file);
    return entry.name.endsWith('.template.json') ? [file] : [];
  });
}

/** The pack in report-only mode: its findings never fail the synth, the validator's errors do. */
function synthesize(app: App, outdir: string): Synthesized {
  const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3', reportOnly: true });
  Aspects.of(app).add(pack);
  app.synth();
  const templates = Object.fromEntries(
    templateFiles(outdir).map((file) => [
      path.relative(outdir, file),
      JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate,
    ]),
  );
  return { app, outdir, pack, templates };
}

function validatedApp(): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployable-'));
  return { app: new App({ outdir, context: VALIDATED }), outdir };
}

/**
 * The validator CDK runs on synth sees the top-level and Stage stacks only: nested stack templates
 * are assets. Run the same bundled validator on them.
 */
function nestedTemplateErrors(synthesized: Synthesized): string[] {
  const nested = Object.keys(synthesized.templates).filter((file) => file.endsWith('.nested.template.json'));
  if (nested.length === 0) return [];
  const report = new CloudFormationValidatePlugin().validate({
    appConstruct: synthesized.app,
    templatePaths: nested.map((file) => path.join(synthesized.outdir, file)),
    stackTemplates: nested.map((file) => ({
      stackConstructPath: file,
      templatePath: path.join(synthesized.outdir, file),
      accountId: ENV.account,
      region: ENV.region,
    })),
  });
  return report.violations
    .filter((v) => v.severity === 'error' || v.severity === 'fatal')
    .map((v) => `${v.ruleName} ${v.description}`);
}

/** `Ref` (other than pseudo parameters), `Fn::GetAtt`, `Fn::ImportValue`, `${Resource}` in a Sub: anything that names a resource. */
function resourceReferencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(resourceReferencesIn);
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return object.Ref.startsWith('AWS::') ? [] : [`Ref ${object.Ref}`];
  if ('Fn::GetAtt' in object || 'Fn::ImportValue' in object) return [JSON.stringify(object)];
  const sub = object['Fn::Sub'];
  const text = Array.isArray(sub) ? sub[0] : sub;
  if (typeof text === 'string') {
    const names = [...text.matchAll(/\$\{(?!!)([^}]*)\}/g)].map((m) => m[1]);
    if (names.some((name) => !name.startsWith('AWS::'))) return [JSON.stringify(object)];
  }
  return Object.values(object).flatMap(resourceReferencesIn);
}

type Statement = Record<string, unknown>;

/** The created key of every template, by file. */
function createdKeyPolicies(templates: Record<string, CfnTemplate>): Record<string, Statement[]> {
  const policies: Record<string, Statement[]> = {};
  for (const [file, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::KMS::Key' || !id.startsWith('CatalogueEncryptionKey')) continue;
      const policy = resource.Properties?.KeyPolicy as { Statement: Statement[] };
      policies[file] = policy.Statement;
    }
  }
  return policies;
}

function serviceStatements(statements: Statement[], service: string): Statement[] {
  return statements.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: service }));
}

/** What every remediated app must show: valid templates, key policies that name no resource, nothing left. */
function expectDeployable(synthesized: Synthesized, keysExpected: number): void {
  expect(nestedTemplateErrors(synthesized)).toEqual([]);
  const policies = createdKeyPolicies(synthesized.templates);
  expect(Object.keys(policies)).toHaveLength(keysExpected);
  for (const [file, statements] of Object.entries(policies)) {
    expect({ file, references: resourceReferencesIn(statements) }).toEqual({ file, references: [] });
  }
  const left = synthesized.pack.evaluations.filter(isFinding).filter((e) => !isDocumented(e));
  expect(left.map((e) => `${e.findingId} ${e.constructPath ?? e.logicalId}: ${e.reason}`)).toEqual([]);
}

function remediatedPaths(synthesized: Synthesized, control: string): string[] {
  return synthesized.pack.evaluations
    .filter((e) => e.controlId === control && e.status === 'remediated')
    .map((e) => (e.constructPath ?? e.logicalId).replace(/\/Resource$/, ''));
}

const FUNCTION_PROPS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
};

/** S3 -> SNS -> SQS -> Lambda, written as a team would, with CDK's defaults. */
function eventChain(scope: Construct, props: { topicName?: string } = {}): void {
  const bucket = new s3.Bucket(scope, 'Uploads');
  const topic = new sns.Topic(scope, 'Events', props);
  const queue = new sqs.Queue(scope, 'Jobs');
  bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SnsDestination(topic));
  topic.addSubscription(new subs.SqsSubscription(queue));
  const handler = new lambda.Function(scope, 'Processor', {
    ...FUNCTION_PROPS,
    environment: { QUEUE_URL: queue.queueUrl },
  });
  handler.addEventSource(new sources.SqsEventSource(queue));
}

const SQS_CONTEXT = {
  'kms:EncryptionContext:aws:sqs:arn': {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:${ENV.region}:${ENV.account}:*`]],
  },
};
const SNS_CONTEXT = {
  'kms:EncryptionContext:aws:sns:topicArn': {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sns:${ENV.region}:${ENV.account}:*`]],
  },
};

describe('the customer-managed-key fix produces deployable templates', () => {
  describe('S3 -> SNS -> SQS -> Lambda, every link encrypted with the one key of its stack', () => {
    /** Where the chain's stack sits: the remediations are applied as the README says for each. */
    const placements: Record<string, () => { app: App; outdir: string; prefix: string }> = {
      'a stack of the App': () => {
        const { app, outdir } = validatedApp();
        EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
        eventChain(new Stack(app, 'Chain', { env: ENV }));
        return { app, outdir, prefix: 'Chain' };
      },
      'a stack of a Stage': () => {
        const { app, outdir } = validatedApp();
        const stage = new Stage(app, 'Prod', { env: ENV });
        EnterpriseCatalogueRemediations.applyTo(stage, REMEDIATIONS);
        eventChain(new Stack(stage, 'Chain'));
        return { app, outdir, prefix: 'Prod/Chain' };
      },
      "a CDK Pipelines application stage (the example app's UAT and Prod)": () => {
        const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployable-'));
        const { app } = buildExampleApp({
          remediate: true,
          appProps: { outdir, context: VALIDATED },
          prepareStage: (stage) => eventChain(new Stack(stage, 'Chain')),
        });
        return { app, outdir, prefix: 'Pipeline/Prod/Chain' };
      },
    };

    it.each(Object.keys(placements))(
      'in %s: synthesizes without a cycle, and nothing is left',
      (placement) => {
        const { app, outdir, prefix } = placements[placement]();
        const synthesized = synthesize(app, outdir); // throws on F3004 Topic -> Key -> Topic
        // With CDK Pipelines: the pipeline stack's, and Chain's and AppStack's in UAT and Prod.
        const keys = placement.startsWith('a CDK Pipelines') ? 5 : 1;
        expectDeployable(synthesized, keys);
        expect(remediatedPaths(synthesized, 'Encryption.1')).toEqual(
          expect.arrayContaining(['Uploads', 'Events', 'Jobs', 'Processor'].map((id) => `${prefix}/${id}`)),
        );
      },
    );

    it("scopes the services to the stack's account and to what SQS and SNS encrypt, naming no resource", () => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      eventChain(new Stack(app, 'Chain', { env: ENV }));
      const { templates } = synthesize(app, outdir);
      const statements = createdKeyPolicies(templates)['Chain.template.json'];
      expect(serviceStatements(statements, 'sns.amazonaws.com')).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': ENV.account }, StringLike: SQS_CONTEXT },
        },
      ]);
      expect(serviceStatements(statements, 's3.amazonaws.com')).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': ENV.account }, StringLike: SNS_CONTEXT },
        },
      ]);
    });

    it('keeps aws:SourceArn when the topic has a literal name, built from the name instead of a Ref', () => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      eventChain(new Stack(app, 'Chain', { env: ENV }), { topicName: 'orders' });
      const synthesized = synthesize(app, outdir);
      expectDeployable(synthesized, 1);
      const statements = createdKeyPolicies(synthesized.templates)['Chain.template.json'];
      expect(serviceStatements(statements, 'sns.amazonaws.com')).toEqual([
        expect.objectContaining({
          Condition: {
            ArnEquals: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, `:sns:${ENV.region}:${ENV.account}:orders`],
                ],
              },
            },
            StringLike: SQS_CONTEXT,
          },
        }),
      ]);
    });
  });

  describe('S3 event notifications to a queue in another stack of the same app', () => {
    let synthesized: Synthesized;
    beforeAll(() => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      const storage = new Stack(app, 'Storage', { env: ENV });
      const unnamed = new s3.Bucket(storage, 'Uploads');
      const named = new s3.Bucket(storage, 'Archive', { bucketName: 'archive-111111111111-eu-west-1' });
      const processing = new Stack(app, 'Processing', { env: ENV });
      const queue = new sqs.Queue(processing, 'Jobs');
      // The processing stack wires the notifications of the buckets it imports: Processing -> Storage only.
      for (const bucket of [unnamed, named]) {
        const imported = s3.Bucket.fromBucketAttributes(processing, `${bucket.node.id}Imported`, {
          bucketArn: bucket.bucketArn,
          bucketName: bucket.bucketName,
        });
        imported.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue));
      }
      synthesized = synthesize(app, outdir); // throws on F1020 Ref to Storage's bucket in Processing
    });

    it('synthesizes, each key policy naming only what its own template has, and nothing is left', () => {
      expectDeployable(synthesized, 2);
      expect(remediatedPaths(synthesized, 'Encryption.1')).toEqual(
        expect.arrayContaining(['Storage/Uploads', 'Storage/Archive', 'Processing/Jobs']),
      );
    });

    it("allows S3 for the named bucket by its ARN, and for the unnamed one by the stack's account", () => {
      const statements = createdKeyPolicies(synthesized.templates)['Processing.template.json'];
      expect(serviceStatements(statements, 's3.amazonaws.com').map((s) => s.Condition)).toEqual([
        { StringEquals: { 'aws:SourceAccount': ENV.account }, StringLike: SQS_CONTEXT },
        {
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::archive-111111111111-eu-west-1']],
            },
          },
          StringLike: SQS_CONTEXT,
        },
      ]);
    });
  });

  describe('a nested stack holding the encrypted resources', () => {
    it('creates the key in the nested stack, and the nested template is valid and has no cycle', () => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      const parent = new Stack(app, 'Parent', { env: ENV });
      eventChain(new NestedStack(parent, 'Inner'));
      const synthesized = synthesize(app, outdir);
      expectDeployable(synthesized, 1);
      const [file] = Object.keys(createdKeyPolicies(synthesized.templates));
      expect(file).toMatch(/\.nested\.template\.json$/);
      expect(remediatedPaths(synthesized, 'Encryption.1')).toEqual(
        expect.arrayContaining(['Uploads', 'Events', 'Jobs'].map((id) => `Parent/Inner/${id}`)),
      );
    });
  });

  describe("the resource policy's source conditions, as the key policy can hold them", () => {
    const PARTITION = { Ref: 'AWS::Partition' };
    const ACCOUNT_ONLY = { StringEquals: { 'aws:SourceAccount': ENV.account } };

    /** A queue that `events.amazonaws.com` may write to under `conditions`, remediated in a validated app. */
    function keyConditionFor(conditions: (stack: Stack) => Record<string, Record<string, unknown>>) {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      const stack = new Stack(app, 'Queues', { env: ENV });
      const queue = new sqs.Queue(stack, 'Jobs');
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: conditions(stack),
        }),
      );
      const synthesized = synthesize(app, outdir);
      expectDeployable(synthesized, 1);
      const statements = createdKeyPolicies(synthesized.templates)['Queues.template.json'];
      const [statement] = serviceStatements(statements, 'events.amazonaws.com');
      return { condition: statement.Condition, records: remediationRecords(queue) };
    }

    const unnamedTopic = (stack: Stack) => new sns.Topic(stack, 'Source').topicArn;

    it.each<[string, (stack: Stack) => Record<string, Record<string, unknown>>, unknown]>([
      [
        'a literal ARN is kept',
        () => ({ ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111111111111:rule/nightly' } }),
        { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111111111111:rule/nightly' } },
      ],
      [
        'an ARN of pseudo parameters (Fn::Sub) is kept',
        () => ({
          ArnLike: {
            'aws:SourceArn': Fn.sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*'),
          },
        }),
        {
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*',
            },
          },
        },
      ],
      [
        'a Ref to an unnamed topic of the stack is replaced by the account',
        (stack) => ({ ArnEquals: { 'aws:SourceArn': unnamedTopic(stack) } }),
        ACCOUNT_ONLY,
      ],
      [
        'an Fn::Sub naming a resource is replaced by the account',
        (stack) => {
          const topic = new sns.Topic(stack, 'Source');
          const arn = 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${Name}';
          return { ArnLike: { 'aws:SourceArn': Fn.sub(arn, { Name: topic.topicName }) } };
        },
        ACCOUNT_ONLY,
      ],
      [
        'an Fn::ImportValue is replaced by the account',
        () => ({ ArnEquals: { 'aws:SourceArn': Fn.importValue('SharedRuleArn') } }),
        ACCOUNT_ONLY,
      ],
      [
        'a parameter is replaced by the account',
        (stack) => ({ ArnEquals: { 'aws:SourceArn': new CfnParameter(stack, 'RuleArn').valueAsString } }),
        ACCOUNT_ONLY,
      ],
      [
        'a list with one resource is replaced whole, never narrowed to its literal items',
        (stack) => ({
          ArnEquals: {
            'aws:SourceArn': ['arn:aws:events:eu-west-1:111111111111:rule/nightly', unnamedTopic(stack)],
          },
        }),
        ACCOUNT_ONLY,
      ],
      [
        'a key in another case is read too (condition keys are case-insensitive)',
        (stack) => ({ ArnEquals: { 'aws:sourcearn': unnamedTopic(stack) } }),
        ACCOUNT_ONLY,
      ],
      [
        'a literal aws:SourceAccount of the resource policy is kept, and no other account added',
        (stack) => ({
          ArnEquals: { 'aws:SourceArn': unnamedTopic(stack) },
          StringEquals: { 'aws:SourceAccount': '222222222222' },
        }),
        { StringEquals: { 'aws:SourceAccount': '222222222222' } },
      ],
      [
        'a topic with a literal name gives its ARN, built from the name',
        (stack) => ({
          ArnEquals: { 'aws:SourceArn': new sns.Topic(stack, 'Named', { topicName: 'audit' }).topicArn },
        }),
        {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', PARTITION, `:sns:${ENV.region}:${ENV.account}:audit`]],
            },
          },
        },
      ],
      ['no condition stays without a source condition', () => ({}), {}],
    ])('%s, and the statement is limited to the queues of the account', (_name, conditions, expected) => {
      const { condition } = keyConditionFor(conditions);
      expect(condition).toEqual({ ...(expected as object), StringLike: SQS_CONTEXT });
    });

    it('records why a source was replaced by the account', () => {
      const { records } = keyConditionFor((stack) => ({
        ArnEquals: { 'aws:SourceArn': unnamedTopic(stack) },
      }));
      expect(JSON.stringify(records)).toMatch(
        /allowed events.amazonaws.com to use the key in its key policy for sources in the stack's account \(aws:SourceArn Ref Source[0-9A-F]{8} would make the key policy name a resource: a dependency cycle, or a reference to another stack\)/,
      );
    });

    it('with encryptionKeyArn, tells the key owner a statement that names no resource', () => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, {
        ...REMEDIATIONS,
        encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      });
      const stack = new Stack(app, 'Chain', { env: ENV });
      eventChain(stack);
      const { pack } = synthesize(app, outdir);
      const jobs = pack.evaluations.find(
        (e) => e.controlId === 'Encryption.1' && e.constructPath === 'Chain/Jobs/Resource',
      );
      expect(jobs?.reason).toMatch(/sns.amazonaws.com writes to Jobs, so the key given by encryptionKeyArn/);
      expect(jobs?.reason).toContain('"aws:SourceAccount":"111111111111"');
      expect(jobs?.reason).not.toMatch(/"Ref":"(?!AWS::)|Fn::GetAtt/);
    });
  });

  describe('DynamoDB tables', () => {
    let synthesized: Synthesized;
    beforeAll(() => {
      const { app, outdir } = validatedApp();
      EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
      const stack = new Stack(app, 'Tables', { env: ENV });
      const partitionKey = { name: 'pk', type: dynamodb.AttributeType.STRING };
      const orders = new dynamodb.Table(stack, 'Orders', {
        partitionKey,
        stream: dynamodb.StreamViewType.NEW_IMAGE,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      });
      const sessions = new dynamodb.TableV2(stack, 'Sessions', { partitionKey });
      new dynamodb.TableV2(stack, 'Global', { partitionKey, replicas: [{ region: 'eu-central-1' }] });
      const reader = new lambda.Function(stack, 'Reader', {
        ...FUNCTION_PROPS,
        environment: { ORDERS: orders.tableName, SESSIONS: sessions.tableName },
      });
      orders.grantReadWriteData(reader);
      sessions.grantReadData(reader);
      reader.addEventSource(
        new sources.DynamoEventSource(orders, { startingPosition: lambda.StartingPosition.LATEST }),
      );
      synthesized = synthesize(app, outdir);
    });

    it('encrypts a table and a single-region global table, and synthesizes without errors', () => {
      expect(nestedTemplateErrors(synthesized)).toEqual([]);
      expect(remediatedPaths(synthesized, 'Encryption.1')).toEqual(
        expect.arrayContaining(['Tables/Orders', 'Tables/Sessions', 'Tables/Reader']),
      );
    });

    it('leaves only the global table with a replica in another region, saying why (a key serves one region)', () => {
      const left = synthesized.pack.evaluations.filter(isFinding).filter((e) => !isDocumented(e));
      expect(left.map((e) => [e.controlId, e.constructPath])).toEqual([
        ['Encryption.1', 'Tables/Global/Resource'],
      ]);
      expect(left[0].reason).toMatch(/replicas in 'eu-central-1', and a KMS key serves only its own region/);
    });
  });
});

describe('every fix at once, on the shapes the issue names', () => {
  it('a cross-region CDK Pipeline with crossAccountKeys: Prod in another region and account', () => {
    const { app, outdir } = validatedApp();
    EnterpriseCatalogueRemediations.applyTo(app, REMEDIATIONS);
    new PipelineStack(app, 'Pipeline', {
      env: ENV,
      crossAccountKeys: true,
      uatEnv: { account: '222222222222', region: ENV.region },
      prodEnv: { account: '333333333333', region: 'us-east-1' },
      prepareStage: (stage) => EnterpriseCatalogueRemediations.applyTo(stage, REMEDIATIONS),
    });
    const synthesized = synthesize(app, outdir);
    // CDK Pipelines adds a support stack in us-east-1 for the replication bucket and its key.
    expect(synthesized.pack.evaluations.some((e) => e.stackId.startsWith('cross-region-stack-'))).toBe(true);
    // Keys are created for the app stacks; the pipeline side already uses CDK Pipelines' own keys.
    expectDeployable(synthesized, 2);
  });

  it("CDK's own custom resources (auto-delete, notifications, log retention, default security group), with a VPC that has egress", () => {
    const { app, outdir } = validatedApp();
    const stack = new Stack(app, 'Providers', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: true });
    EnterpriseCatalogueRemediations.applyTo(app, { ...REMEDIATIONS, vpc });
    const bucket = new s3.Bucket(stack, 'Scratch', {
      autoDeleteObjects: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.SqsDestination(new sqs.Queue(stack, 'Inbox')),
    );
    new lambda.Function(stack, 'Worker', { ...FUNCTION_PROPS, logRetention: logs.RetentionDays.ONE_WEEK });
    const synthesized = synthesize(app, outdir);
    expectDeployable(synthesized, 1);
    const providers = synthesized.pack.evaluations.filter(
      (e) =>
        e.controlId === 'Lambda.1' &&
        /Custom::|BucketNotificationsHandler|LogRetention/.test(e.constructPath ?? ''),
    );
    expect(providers.map((e) => e.status)).toEqual(Array(4).fill('remediated'));
  });
});
