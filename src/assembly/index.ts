/**
 * The input side of `cdk-catalogue check`: an existing cloud assembly (`cdk.out`) or plain
 * CloudFormation template files, read into what the engine judges. Pure: nothing here imports
 * aws-cdk-lib or constructs, so `check` runs where they are not installed.
 */
export { publishedObjectKeys } from './asset-keys';
export { InputError } from './input-error';
export { listAcknowledgements, readCloudAssembly, readConstructMetadata } from './cloud-assembly';
export type { ConstructMetadata } from './construct-metadata';
export { readTemplateFiles } from './template-files';
export { templateLineOf } from './template-text';
export { resourceKeyLines } from './json-keys';
export { firstUserFrame } from './construct-metadata';
export type { AssemblyAcknowledgement } from './construct-metadata';
export type { JudgedInput, ReadOptions, SourceLocation } from './types';
