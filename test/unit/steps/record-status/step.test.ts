import { describe, expect, it } from 'vitest';
import { failureFromCaught, recordRunStatus, statusChangeFor } from '../../../../src/steps/record-status/step';
import type { RunStore, StatusChange } from '../../../../src/status/run-store';

const AT = '2026-03-14T09:00:00.000Z';

describe('failureFromCaught', () => {
  it('takes the errorMessage out of a Lambda error Cause', () => {
    // Prepare: what Step Functions puts in $.error when a Lambda task throws.
    const caught = {
      Error: 'EmptyDatasetError',
      Cause: JSON.stringify({
        errorType: 'EmptyDatasetError',
        errorMessage: 'No usable documents under s3://b/documents/',
        trace: ['EmptyDatasetError: No usable documents', '    at planBatches'],
      }),
    };
    // Act / Assess
    expect(failureFromCaught(caught)).toEqual({ error: 'EmptyDatasetError', message: 'No usable documents under s3://b/documents/' });
  });

  it('keeps a plain-text Cause (service integrations) as is', () => {
    expect(
      failureFromCaught({ Error: 'SageMaker.ResourceLimitExceededException', Cause: 'The account-level service limit was exceeded' }),
    ).toEqual({ error: 'SageMaker.ResourceLimitExceededException', message: 'The account-level service limit was exceeded' });
  });

  it('keeps a JSON Cause without errorMessage whole', () => {
    const cause = JSON.stringify({ reason: 'x' });
    expect(failureFromCaught({ Error: 'States.Runtime', Cause: cause })).toEqual({ error: 'States.Runtime', message: cause });
  });

  it('falls back to the error name when there is no Cause', () => {
    expect(failureFromCaught({ Error: 'States.Timeout' })).toEqual({ error: 'States.Timeout', message: 'States.Timeout' });
    expect(failureFromCaught({ Error: 'States.Timeout', Cause: '' })).toEqual({ error: 'States.Timeout', message: 'States.Timeout' });
  });
});

describe('statusChangeFor', () => {
  it('passes a plain status change through with its attributes and no event detail', () => {
    // Act
    const change = statusChangeFor({ runId: 'r1', executionName: 'exec-1', status: 'PREPARING', attributes: { documentCount: 4 } }, AT);
    // Assess
    expect(change).toEqual({ runId: 'r1', executionName: 'exec-1', status: 'PREPARING', at: AT, attributes: { documentCount: 4 } });
  });

  it('turns a caught error into the failure attribute and the event detail', () => {
    // Act
    const change = statusChangeFor(
      {
        runId: 'r1',
        executionName: 'exec-1',
        status: 'FAILED',
        error: { Error: 'BadDocumentError', Cause: JSON.stringify({ errorMessage: 'corrupt scan' }) },
      },
      AT,
    );
    // Assess
    expect(change.attributes).toEqual({ failure: { error: 'BadDocumentError', message: 'corrupt scan' } });
    expect(change.detail).toEqual({ error: 'BadDocumentError', message: 'corrupt scan' });
    expect(change).not.toHaveProperty('progressKey');
  });
});

describe('recordRunStatus', () => {
  it('writes one change through the store and answers with the run id and status', async () => {
    // Prepare
    const changes: StatusChange[] = [];
    const store = { writeStatusChange: (change: StatusChange) => Promise.resolve(void changes.push(change)) } as unknown as RunStore;
    // Act
    const result = await recordRunStatus(
      { store, now: () => new Date(AT) },
      { runId: 'r1', executionName: 'exec-1', status: 'PENDING', attributes: { trigger: 'schedule' } },
    );
    // Assess
    expect(result).toEqual({ runId: 'r1', status: 'PENDING' });
    expect(changes).toEqual([{ runId: 'r1', executionName: 'exec-1', status: 'PENDING', at: AT, attributes: { trigger: 'schedule' } }]);
  });
});
