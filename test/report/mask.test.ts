import { maskCredentials } from '../../src/report';

describe('maskCredentials', () => {
  test.each([
    [
      'a URL with user and password',
      'https://alice:s3cr3t@pypi.example.com/simple',
      'https://***@pypi.example.com/simple',
    ],
    [
      'a URL with a token as user',
      'git clone https://ghp_abc123@github.com/o/r.git',
      'git clone https://***@github.com/o/r.git',
    ],
    ['a password with an @ in it', 'https://bob:p@ss@host.example/x', 'https://***@host.example/x'],
    [
      'a token query parameter',
      'https://r.example.com/npm/?token=abc123&scope=x',
      'https://r.example.com/npm/?token=***&scope=x',
    ],
    ['an npm _authToken', '//host/npm/repo/:_authToken=eyJ.abc', '//host/npm/repo/:_authToken=***'],
    [
      'a presigned S3 URL',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAX/20240101&X-Amz-Signature=deadbeef',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***',
    ],
    ['a shell assignment in quotes', 'export NPM_TOKEN="abc def"', 'export NPM_TOKEN=***'],
    [
      'an api key parameter',
      'https://x.example/?api_key=k1&access_token=t2',
      'https://x.example/?api_key=***&access_token=***',
    ],
    ['an Authorization header', 'Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: ***'],
    ['a bearer token', 'curl -H Bearer abcdefghijklmnop1234', 'curl -H Bearer ***'],
  ])('masks %s', (_name, text, masked) => {
    expect(maskCredentials(text)).toBe(masked);
    expect(maskCredentials(masked)).toBe(masked);
  });

  test.each([
    ['an ARN', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['a key alias', 'alias/aws/s3'],
    ['a registry URL without credentials', 'https://pypi.internal.example.com/simple'],
    ['an image digest', '111111111111.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abcdef'],
    ['a message naming properties', 'EnableKeyRotation is not set (it defaults to false)'],
    [
      'property names with Token or Credentials in them',
      'ImagePullCredentialsType is CODEBUILD; GetAuthorizationToken',
    ],
    ['an IAM action', 'sts:GetServiceBearerToken on *'],
    ['prose', 'Basic authentication is not a registry'],
    ['a boolean assignment on a property', 'EnableKeyRotation=false'],
  ])('keeps %s', (_name, text) => {
    expect(maskCredentials(text)).toBe(text);
  });
});
