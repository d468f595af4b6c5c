/** The documents bucket in the packaged template: public access blocked, encryption, TLS only. */
import { expect, it } from 'vitest';
import { describeEachStage, type Json, type Statement, actionsOf, referencedId, resource, resourcesOfType } from './packaged';

describeEachStage('documents bucket', (template) => {
  it('blocks public access to the documents bucket, encrypts it and denies plain HTTP', () => {
    // Prepare
    const bucket = resource(template(), 'DocumentsBucket');
    // Assess: bucket
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = (bucket.Properties['BucketEncryption'] as { ServerSideEncryptionConfiguration: Json[] })
      .ServerSideEncryptionConfiguration;
    expect(rules.length).toBeGreaterThan(0);
    expect(rules[0]?.['ServerSideEncryptionByDefault']).toMatchObject({ SSEAlgorithm: expect.stringMatching(/^(aws:kms|AES256)$/) });
    // Assess: its policy
    const policies = resourcesOfType(template(), 'AWS::S3::BucketPolicy').filter(
      ([, policy]) => referencedId(policy.Properties['Bucket']) === 'DocumentsBucket',
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.[1].Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
    const denyHttp = statements.filter((s) => s.Effect === 'Deny' && String(s.Condition?.['Bool']?.['aws:SecureTransport']) === 'false');
    expect(denyHttp).toHaveLength(1);
    expect(denyHttp[0]?.Principal).toBe('*');
    expect(actionsOf(denyHttp[0] as Statement)).toEqual(['s3:*']);
    const resources = JSON.stringify(denyHttp[0]?.Resource);
    expect(resources).toContain('DocumentsBucket');
    expect(resources).toContain('/*');
  });
});
