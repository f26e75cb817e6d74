/** The shipped controls on element scopes and related resources, tested in scoped-and-related.test.ts. */
export const SCOPED_AND_RELATED_CONTROLS = ['S3.4', 'SQS.1', 'SNS.1', 'EC2.1', 'IAM.1', 'SecretsManager.1'];
