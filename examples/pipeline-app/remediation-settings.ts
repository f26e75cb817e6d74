import { EnterpriseCatalogueRemediationsProps } from '../../src';

const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];

/**
 * What the platform team publishes for every account: the workload VPC's private subnets, the
 * central access-log bucket and the internal CodeArtifact repository. In a real app these often
 * come from cdk.json context (`cdk-catalogue:vpc`, `cdk-catalogue:access-logs-bucket`, ...).
 */
export const REMEDIATION_SETTINGS: EnterpriseCatalogueRemediationsProps = {
  vpcIds: Object.fromEntries(
    ACCOUNTS.map((account, i) => [
      account,
      {
        vpcId: `vpc-0a1b2c3d4e5f6a70${i}`,
        subnetIds: [`subnet-0a1b2c3d4e5f6a71${i}`, `subnet-0a1b2c3d4e5f6a72${i}`],
      },
    ]),
  ),
  accessLogsBucketName: 'central-access-logs-${AWS::AccountId}-${AWS::Region}',
  codeArtifact: { domain: 'enterprise', repository: 'internal', domainOwner: '111111111111' },
};
