/** The runs table in the packaged template. */
import { expect, it } from 'vitest';
import { describeEachStage, onlyResourceOfType } from './packaged';

describeEachStage('runs table', (template) => {
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
