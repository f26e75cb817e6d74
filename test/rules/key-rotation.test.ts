import { aws_kms as kms, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import { CfnTemplate } from '../../src/engine/template';
import { KeyRotation } from '../../src/remediations/aspects';
import rule from '../../src/rules/key-rotation';
import { evaluateRule, remediationRecords, synthStack, synthWithAspects, templateWith } from '../helpers';

const KEY = 'AWS::KMS::Key';

describe('key-rotation', () => {
  describe.each([
    ['rotation on', { EnableKeyRotation: true }],
    ['rotation on as the string CloudFormation also accepts', { EnableKeyRotation: 'true' }],
    ['an asymmetric key without rotation', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }],
  ])('compliant or not applicable: %s', (_name, properties) => {
    it('is not a finding', () => {
      const { Subject } = evaluateRule(rule, templateWith(KEY, properties));
      expect(['compliant', 'not-applicable']).toContain(Subject.status);
    });
  });

  it.each([
    ['no properties', undefined, /EnableKeyRotation is not set/],
    ['rotation off', { EnableKeyRotation: false }, /EnableKeyRotation is false/],
    ['rotation "false"', { EnableKeyRotation: 'false' }, /EnableKeyRotation is "false"/],
    ['an odd shape', { EnableKeyRotation: { Nested: [1] } }, /not true/],
    ['a symmetric key spec given explicitly', { KeySpec: 'SYMMETRIC_DEFAULT' }, /not set/],
  ])('non-compliant: %s', (_name, properties, reason) => {
    const { Subject } = evaluateRule(rule, templateWith(KEY, properties));
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'EnableKeyRotation' });
    expect(Subject.reason).toMatch(reason);
  });

  it('is not applicable to HMAC keys', () => {
    const { Subject } = evaluateRule(
      rule,
      templateWith(KEY, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    );
    expect(Subject).toMatchObject({ status: 'not-applicable' });
    expect(Subject.reason).toMatch(/HMAC_256/);
  });

  describe('intrinsics', () => {
    it('cannot verify rotation that comes from a parameter (and does not throw)', () => {
      const template = templateWith(
        KEY,
        { EnableKeyRotation: { Ref: 'Rotate' } },
        { Parameters: { Rotate: { Type: 'String' } } },
      );
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'EnableKeyRotation' });
      expect(Subject.reason).toMatch(/parameter Rotate/);
    });

    it('fails Fn::If when one branch turns rotation off, naming the branch', () => {
      const template = templateWith(KEY, { EnableKeyRotation: { 'Fn::If': ['IsProd', true, false] } });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject.status).toBe('non-compliant');
      expect(Subject.reason).toMatch(/when condition IsProd is false/);
    });

    it('passes Fn::If when both branches rotate', () => {
      const template = templateWith(KEY, { EnableKeyRotation: { 'Fn::If': ['IsProd', true, 'true'] } });
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('treats AWS::NoValue in a branch as the property being absent', () => {
      const template = templateWith(KEY, {
        EnableKeyRotation: { 'Fn::If': ['IsProd', true, { Ref: 'AWS::NoValue' }] },
      });
      expect(evaluateRule(rule, template).Subject.reason).toMatch(
        /IsProd is false: EnableKeyRotation is not set/,
      );
    });

    it('cannot verify a key spec from Fn::ImportValue of an unknown export when rotation is off', () => {
      const template = templateWith(KEY, { KeySpec: { 'Fn::ImportValue': 'SharedSpec' } });
      expect(evaluateRule(rule, template).Subject).toMatchObject({
        status: 'unverifiable',
        property: 'KeySpec',
      });
    });

    it('cannot verify a rotation flag computed by a custom resource', () => {
      const template = templateWith(
        KEY,
        { EnableKeyRotation: { 'Fn::GetAtt': ['Settings', 'Rotate'] } },
        { Resources: { Settings: { Type: 'Custom::Settings' } } },
      );
      expect(evaluateRule(rule, template).Subject).toMatchObject({
        status: 'unverifiable',
        reason:
          'EnableKeyRotation comes from attribute Rotate of custom resource Settings, which is only known at deploy time',
      });
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default kms.Key and passes one with enableKeyRotation', () => {
      const template = synthStack((stack) => {
        new kms.Key(stack, 'Plain');
        new kms.Key(stack, 'Rotating', { enableKeyRotation: true });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status])).toEqual([
        ['Plain', 'non-compliant'],
        ['Rotating', 'compliant'],
      ]);
    });

    it('sees a raw override that cdk-nag cannot see', () => {
      const template = synthStack((stack) => {
        const key = new kms.Key(stack, 'Key');
        (key.node.defaultChild as kms.CfnKey).addPropertyOverride('EnableKeyRotation', true);
      });
      expect(Object.values(evaluateRule(rule, template))[0].status).toBe('compliant');
    });

    it('cannot verify a CfnParameter token', () => {
      const template = synthStack((stack) => {
        const rotate = new CfnParameter(stack, 'Rotate', { type: 'String' });
        new kms.CfnKey(stack, 'Key', {
          enableKeyRotation: Fn.conditionIf('X', true, false) as unknown as boolean,
        });
        new kms.CfnKey(stack, 'Key2', { enableKeyRotation: rotate.valueAsString as unknown as boolean });
      });
      const statuses = Object.values(evaluateRule(rule, template)).map((e) => e.status);
      expect(statuses).toEqual(['non-compliant', 'unverifiable']);
    });
  });
});

describe('key-rotation remediation (KeyRotation)', () => {
  const rotationOf = (template: CfnTemplate) =>
    Object.values(template.Resources ?? {})
      .filter((r) => r.Type === KEY)
      .map((r) => r.Properties?.EnableKeyRotation);

  it('makes a default key pass the rule, and records the change', () => {
    let key!: kms.Key;
    const { template } = synthWithAspects((stack) => {
      key = new kms.Key(stack, 'Key');
    }, new KeyRotation());
    expect(Object.values(evaluateRule(rule, template)).map((e) => e.status)).toEqual(['compliant']);
    expect(remediationRecords(key)).toEqual([
      { findingId: 'Enterprise-KMS.1', changes: ['set EnableKeyRotation to true'] },
    ]);
  });

  it('changes nothing when applied twice (two instances)', () => {
    const build = (stack: Stack) => new kms.Key(stack, 'Key', { description: 'orders' });
    const once = synthWithAspects(build, new KeyRotation()).template;
    const twice = synthWithAspects(build, new KeyRotation(), new KeyRotation()).template;
    expect(twice).toEqual(once);
  });

  it('keeps what the user set and leaves compliant and asymmetric keys alone', () => {
    let rotating!: kms.Key;
    const { template } = synthWithAspects((stack) => {
      new kms.Key(stack, 'Described', { description: 'orders', pendingWindow: Duration.days(10) });
      rotating = new kms.Key(stack, 'Rotating', {
        enableKeyRotation: true,
        rotationPeriod: Duration.days(90),
      });
      new kms.Key(stack, 'Signing', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY });
    }, new KeyRotation());
    const byId = Object.fromEntries(
      Object.entries(template.Resources ?? {}).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
    );
    expect(byId.Described.Properties).toMatchObject({
      Description: 'orders',
      EnableKeyRotation: true,
      PendingWindowInDays: 10,
    });
    expect(byId.Rotating.Properties).toMatchObject({ RotationPeriodInDays: 90 });
    expect(byId.Signing.Properties?.EnableKeyRotation).toBeUndefined();
    expect(rotationOf(template)).toEqual([true, true, undefined]);
    expect(remediationRecords(rotating)).toEqual([]);
  });

  it('leaves a rotation flag from a parameter alone (it cannot be judged, so it is not overwritten)', () => {
    const { template } = synthWithAspects((stack) => {
      const rotate = new CfnParameter(stack, 'Rotate', { type: 'String' });
      new kms.CfnKey(stack, 'Key', { enableKeyRotation: rotate.valueAsString as unknown as boolean });
    }, new KeyRotation());
    expect(rotationOf(template)).toEqual([{ Ref: 'Rotate' }]);
  });
});
