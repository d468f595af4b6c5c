/** The runs table in the packaged template. */
import { beforeAll, describe, expect, it } from 'vitest';
import { packagedStages, type Template, onlyResourceOfType, type Packaged, type Stage } from './packaged';

let packaged: Record<Stage, Packaged>;
beforeAll(async () => {
  packaged = await packagedStages();
}, 600_000);

describe.each(['dev', 'prod'] as const)('runs table: sls package --stage %s', (stage) => {
  const template = (): Template => packaged[stage].template;

  it('defines the runs table on demand, with point-in-time recovery, encryption and the byStatus index', () => {
    // Act
    const [, table] = onlyResourceOfType(template(), 'AWS::DynamoDB::Table');
    // Assess
    expect(table.Properties['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(table.Properties['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties['SSESpecification']).toMatchObject({ SSEEnabled: true });
    expect(table.Properties['KeySchema']).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const byStatus = (table.Properties['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[]).find(
      (index) => index.IndexName === 'byStatus',
    );
    expect(byStatus?.KeySchema).toEqual([
      { AttributeName: 'status', KeyType: 'HASH' },
      { AttributeName: 'updatedAt', KeyType: 'RANGE' },
    ]);
  });
});
