/**
 * The progress display and the run view: on a TTY one status line rewritten in place under the lines
 * that scroll; elsewhere plain lines, one per event, no control characters, a status printed only when
 * it changed; the OCR count with its rate and time left; the poll loop as one status.
 */
import { describe, expect, it } from 'vitest';
import { plainDisplay, plainText, terminalDisplay, type TerminalStream } from '../../../cli/progress/display';
import { RunProgressView } from '../../../cli/progress/run-view';
import type { PollResult } from '../../../src/steps/poll-training/schema';

/** A terminal that applies what the display writes: `\n` ends a row, clearLine + cursorTo(0) empties the current one. */
const fakeTerminal = (columns = 80): TerminalStream & { rows: string[]; writes: string[] } => {
  const rows: string[] = [''];
  const writes: string[] = [];
  return {
    isTTY: true,
    columns,
    rows,
    writes,
    write: (chunk: string | Uint8Array) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      writes.push(text);
      const parts = text.split('\n');
      rows[rows.length - 1] += parts[0] ?? '';
      for (const part of parts.slice(1)) rows.push(part);
      return true;
    },
    clearLine: () => {
      rows[rows.length - 1] = '';
      return true;
    },
    cursorTo: () => true,
  };
};

const poll = (pollCount: number, secondary = 'Training'): PollResult => ({
  pollCount,
  executions: ['exec-1'],
  job: { TrainingJobStatus: 'InProgress', SecondaryStatus: secondary },
  elapsedSeconds: 10 * pollCount,
  waitSeconds: 30,
  stopRequested: false,
  budgetExceeded: false,
  progressRecorded: true,
  checkpointStale: false,
  continueAsNew: false,
});

describe('progress display', () => {
  it('on a TTY rewrites one status line in place, under the lines that scroll', () => {
    const terminal = fakeTerminal();
    const display = terminalDisplay(terminal);

    display.line('-> OcrDocuments');
    display.status('OCR 10/120 documents');
    display.status('OCR 20/120 documents');
    display.line('  [metric] epoch=1');
    display.status('OCR 30/120 documents');
    display.end();
    display.line('-> BuildDataset');

    expect(terminal.rows).toEqual(['-> OcrDocuments', '  [metric] epoch=1', '-> BuildDataset', '']);
  });

  it('on a TTY keeps a status to one row (a wrapped one would leave rows behind)', () => {
    const terminal = fakeTerminal(30);
    terminalDisplay(terminal).status('training job: InProgress/Training, 2 min 10 s since created (poll 13)');
    expect(terminal.rows.at(-1)?.length).toBeLessThanOrEqual(29);
    expect(terminal.rows.at(-1)).toMatch(/…$/);
  });

  it('elsewhere prints plain lines: a status when its key changes, never a control character', () => {
    const lines: string[] = [];
    const display = plainDisplay((line) => lines.push(line));

    display.status('[1.0 s] training job: InProgress/Training (poll 1)', {
      plain: '[1.0 s] training job: InProgress/Training',
      key: 'InProgress/Training',
    });
    display.status('[2.0 s] training job: InProgress/Training (poll 2)', {
      plain: '[2.0 s] training job: InProgress/Training',
      key: 'InProgress/Training',
    });
    display.status('[3.0 s] training job: InProgress/Uploading (poll 3)', {
      plain: '[3.0 s] training job: InProgress/Uploading',
      key: 'InProgress/Uploading',
    });
    display.line('epoch 1 \u001b[32mdone\u001b[0m\r 100%\u0007');

    expect(lines).toEqual([
      '[1.0 s] training job: InProgress/Training',
      '[3.0 s] training job: InProgress/Uploading',
      'epoch 1 done  100% ',
    ]);
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(plainText('a\tb')).toBe('a\tb');
  });
});

describe('run progress view', () => {
  it('shows a failure once, as type and message without the trace, naming the uploaded folder instead of its S3 prefix', () => {
    // Prepare: the Cause Step Functions carries for a Lambda error, passed on by a Catch and ending the execution
    const lines: string[] = [];
    const view = new RunProgressView(
      plainDisplay((line) => lines.push(line)),
      0,
      () => 0,
    );
    view.nameFolder({ prefixUri: 's3://doctrain-local/uploads/my-receipts/', folder: './my-receipts' });
    const cause = JSON.stringify({
      errorType: 'EmptyDatasetError',
      errorMessage: 'No usable documents under s3://doctrain-local/uploads/my-receipts/ (2 objects, 2 rejected)',
      trace: ['EmptyDatasetError: No usable documents', '    at planBatches (step.ts:1:1)'],
    });

    // Act
    view.stateFailed('PlanBatches', 'EmptyDatasetError', cause);
    view.stateFailed('PipelineFailed', 'EmptyDatasetError', cause);
    view.stateFailed(undefined, 'EmptyDatasetError', cause);

    // Assess
    expect(lines).toEqual([
      '[  0.0 s] !! PlanBatches failed: EmptyDatasetError: No usable documents under ./my-receipts (uploaded to s3://doctrain-local/uploads/my-receipts/) (2 objects, 2 rejected)',
    ]);
    expect(view.failureShown('EmptyDatasetError', cause)).toBe(true);
    expect(view.failureShown('States.Timeout', 'the execution timed out')).toBe(false);
    expect(view.failure('States.Timeout', 'the execution timed out')).toBe('States.Timeout: the execution timed out');
  });

  it('shows the OCR count with its rate and time left, then how long it took', () => {
    let now = 0;
    const lines: string[] = [];
    const view = new RunProgressView(
      plainDisplay((line) => lines.push(line)),
      0,
      () => now,
    );
    const ocr = (done: number, batchesDone: number) =>
      view.ocr({ total: 120, done, quarantined: 0, cacheHits: 0, batchesDone, batches: 12 });

    ocr(0, 0);
    now = 10_000;
    ocr(20, 2);
    ocr(20, 2); // nothing new: no line
    now = 40_000;
    ocr(120, 12);

    expect(lines).toEqual([
      '[  0.0 s] OCR 0/120 documents, 0/12 batches',
      '[ 10.0 s] OCR 20/120 documents, 2/12 batches, 2.00 documents/s, about 50 s left',
      '[ 40.0 s] OCR 120/120 documents, 12/12 batches, 3.00 documents/s',
      '[ 40.0 s] OCR done: 120 documents in 40 s',
    ]);
  });

  it('shows the poll loop as one status (a line per change elsewhere), metric lines and spot events as lines', () => {
    const lines: string[] = [];
    const view = new RunProgressView(
      plainDisplay((line) => lines.push(line)),
      0,
      () => 5_000,
    );

    view.dataset({ prefix: 'datasets/abc/', textractPagesBilled: 3, counts: { documents: 4, train: 3, validation: 1, quarantined: 0 } });
    view.stateEntered('CreateTrainingJob');
    view.stateEntered('WaitForTraining'); // the loop's own states: quiet
    view.poll(poll(1));
    view.stateEntered('PollTraining');
    view.poll(poll(2));
    view.trainerLine('[doctrain] epoch 1 took 0.2s'); // not a metric line: the log has it (doctrain logs)
    view.trainerLine('[metric] epoch=1 step=2 val_f1=0.5');
    view.jobStatus('Interrupted', 'Training job interrupted: the spot instance was reclaimed (simulated)');
    view.jobStatus('Starting', 'Restarting the training job on a new spot instance');
    view.poll(poll(3));

    expect(lines).toEqual([
      '[  5.0 s] dataset built: 4 documents (train 3, validation 1, quarantined 0), 3 Textract page(s) billed, in datasets/abc/',
      '[  5.0 s] -> CreateTrainingJob',
      '[  5.0 s] training job: InProgress/Training',
      '[  5.0 s]   [metric] epoch=1 step=2 val_f1=0.5',
      '[  5.0 s]    spot interruption: training job Interrupted: Training job interrupted: the spot instance was reclaimed (simulated)',
      '[  5.0 s]    spot resume: training job Starting: Restarting the training job on a new spot instance',
      '[  5.0 s] training job: InProgress/Training',
    ]);
  });
});
