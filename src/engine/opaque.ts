import { intrinsicName, isPlainObject } from './intrinsics';
import { CfnResourceJson, CfnTemplate, StackTemplate } from './template';

/**
 * Template content whose resources the engine cannot see: it deploys resources that are not in the
 * template as written. Each one is reported as unverifiable for every control whose resource types
 * it can create, never passed over as "nothing here".
 */
export interface OpaqueContent {
  readonly logicalId: string;
  readonly resourceType: string;
  /** Why its resources cannot be judged, for the finding. */
  readonly reason: string;
  /** The resource types it can create; undefined when it can create any. */
  readonly creates?: readonly string[];
  readonly constructPath?: string;
}

const SERVERLESS_TRANSFORM = 'AWS::Serverless-2016-10-31';
/** Expands `Fn::ForEach`, `Fn::Length` and friends; the engine sees through everything else it allows. */
const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';

const LAMBDA_COMPANIONS = [
  'AWS::Lambda::Function',
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Url',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  // EventInvokeConfig destinations of type SQS or SNS without an ARN make SAM create the queue or topic.
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::Events::Rule',
  'AWS::CodeDeploy::Application',
  'AWS::CodeDeploy::DeploymentGroup',
];

/**
 * What the SAM transform expands each resource type into (AWS SAM specification). A type not listed
 * (`AWS::Serverless::Application` is a nested stack of any content) may create anything.
 */
const SERVERLESS_CREATES: Readonly<Record<string, readonly string[]>> = {
  'AWS::Serverless::Function': LAMBDA_COMPANIONS,
  'AWS::Serverless::SimpleTable': ['AWS::DynamoDB::Table'],
  'AWS::Serverless::LayerVersion': ['AWS::Lambda::LayerVersion'],
  'AWS::Serverless::StateMachine': [
    'AWS::StepFunctions::StateMachine',
    'AWS::IAM::Role',
    'AWS::IAM::Policy',
    'AWS::Events::Rule',
    'AWS::Logs::LogGroup',
  ],
  'AWS::Serverless::Api': [
    'AWS::ApiGateway::RestApi',
    'AWS::ApiGateway::Deployment',
    'AWS::ApiGateway::Stage',
    'AWS::ApiGateway::DomainName',
    'AWS::ApiGateway::BasePathMapping',
    'AWS::ApiGateway::UsagePlan',
    'AWS::ApiGateway::ApiKey',
    'AWS::Lambda::Permission',
    'AWS::IAM::Role',
  ],
  'AWS::Serverless::HttpApi': [
    'AWS::ApiGatewayV2::Api',
    'AWS::ApiGatewayV2::Stage',
    'AWS::ApiGatewayV2::DomainName',
    'AWS::ApiGatewayV2::ApiMapping',
    'AWS::Lambda::Permission',
    'AWS::IAM::Role',
  ],
};

/** The transforms a template declares (`Transform` is a name or a list of names). */
export function transformsOf(template: CfnTemplate): string[] {
  const transform = template.Transform;
  const list = Array.isArray(transform) ? transform : transform === undefined ? [] : [transform];
  return list.map((item) =>
    typeof item === 'string' ? item : (intrinsicName(item) ?? JSON.stringify(item)),
  );
}

/** Whether the engine judges this resource entry as written: false for content it cannot open. */
function opaqueResource(
  logicalId: string,
  resource: unknown,
  isOpened: (logicalId: string) => boolean,
): Omit<OpaqueContent, 'logicalId'> | undefined {
  // With AWS::LanguageExtensions, `Fn::ForEach::Name` entries generate resources from a loop.
  if (logicalId.startsWith('Fn::ForEach::')) {
    return {
      resourceType: 'Fn::ForEach',
      reason: 'it is a Fn::ForEach loop that generates resources at deploy time',
    };
  }
  if (!isPlainObject(resource) || typeof resource.Type !== 'string') return undefined;
  const type = resource.Type;
  const constructPath = cdkPath(resource as unknown as CfnResourceJson);
  if (type === 'AWS::CloudFormation::Stack' && !isOpened(logicalId)) {
    return {
      resourceType: type,
      constructPath,
      reason:
        'it is a nested stack whose template (TemplateURL) is not among the templates checked, so its resources were not judged',
    };
  }
  if (type.startsWith('AWS::Serverless::')) {
    return {
      resourceType: type,
      constructPath,
      creates: SERVERLESS_CREATES[type],
      reason: `it is a SAM resource, which the ${SERVERLESS_TRANSFORM} transform expands into resources at deploy time`,
    };
  }
  if (type.endsWith('::MODULE')) {
    return {
      resourceType: type,
      constructPath,
      reason: 'it is a CloudFormation module, whose resources are only known in the CloudFormation registry',
    };
  }
  return undefined;
}

function cdkPath(resource: CfnResourceJson): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/**
 * Everything in a stack's template the engine cannot open: nested stacks whose template was not
 * given, SAM resources, modules, `Fn::ForEach` loops, and macros (any transform but SAM's and the
 * language extensions) that may rewrite the whole template.
 */
export function opaqueContentOf(
  stack: StackTemplate,
  openedNestedStacks: ReadonlySet<string>,
): OpaqueContent[] {
  const found: OpaqueContent[] = [];
  for (const transform of transformsOf(stack.template)) {
    if (transform === SERVERLESS_TRANSFORM || transform === LANGUAGE_EXTENSIONS) continue;
    found.push({
      logicalId: 'Transform',
      resourceType: transform,
      reason: `the template declares the transform ${transform}, a macro that may rewrite any of its resources at deploy time`,
    });
  }
  for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
    const opaque = opaqueResource(logicalId, resource, (id) => openedNestedStacks.has(id));
    if (opaque) found.push({ logicalId, ...opaque });
  }
  return found;
}

/** A resource whose properties hold `Fn::Transform` (an `AWS::Include` snippet, a macro) may change at deploy time. */
export function hasPropertyTransform(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasPropertyTransform);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, child]) => key === 'Fn::Transform' || hasPropertyTransform(child));
}
