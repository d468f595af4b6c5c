/**
 * Feeds a RunProgressView from a run on the embedded local runtime as it happens: the execution's state
 * events, the OCR count read from the batch results in the local S3 each time a batch ends
 * (src/progress/ocr-progress.ts, as on AWS), and the local SageMaker's output of the run's training jobs
 * line by line as the trainer prints it (no waiting for a poll). Every update goes through one queue, so
 * lines come out in the order things happened.
 */
import { z } from 'zod';
import type { LocalPipeline } from '../../local/pipeline';
import type { ExecutionEvent } from '../../local/stepfunctions';
import { OcrProgressReader } from '../../src/progress/ocr-progress';
import { datasetPointersSchema } from '../../src/steps/build-dataset/schema';
import { pollResultSchema } from '../../src/steps/poll-training/schema';
import { trainingJobName } from '../../src/steps/validate-input/step';
import type { RunProgressView } from './run-view';

/** PollTraining's output state: its result is at `$.polling` (the ASL's ResultPath). */
const pollStateSchema = z.looseObject({ polling: pollResultSchema });

/** BuildDataset's output state: its pointers are at `$.dataset`. */
const datasetStateSchema = z.looseObject({ dataset: datasetPointersSchema });

/** States whose end means a batch result may have landed (an OCR Map iteration's). */
const OCR_BATCH_ENDS = new Set(['OcrBatch', 'CollectTextractJobs']);

export interface LocalRunWatch {
  /** The execution's events (LocalPipeline.execute's onEvent). */
  onEvent: (event: ExecutionEvent) => void;
  /** Resolves when every update so far is on the display. */
  settled: () => Promise<void>;
  /** Stops listening to the local SageMaker. */
  close: () => void;
}

export const watchLocalRun = (pipeline: Pick<LocalPipeline, 'services'>, runId: string, view: RunProgressView): LocalRunWatch => {
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (update: () => void | Promise<void>): void => {
    queue = queue.then(update).catch((error: unknown) => {
      view.log(`(progress: ${error instanceof Error ? error.message : String(error)})`);
    });
  };
  const ocr = new OcrProgressReader(pipeline.services.clients.s3, pipeline.services.bucket, runId);
  const refreshOcr = (): void => enqueue(async () => view.ocr(await ocr.read()));

  // The run's jobs are its attempts' (`doctrain-<runId>-a<n>`); anything else on the local SageMaker is another run's.
  const jobPrefix = trainingJobName(runId, 1).replace(/1$/, '');
  const unsubscribe = pipeline.services.onTrainingOutput((output) => {
    if (!output.jobName.startsWith(jobPrefix)) return;
    if (output.type === 'line') enqueue(() => view.trainerLine(output.line));
    else enqueue(() => view.jobStatus(output.secondaryStatus, output.message));
  });

  const onEvent = (event: ExecutionEvent): void => {
    const name = event.stateName;
    if (event.type === 'StateEntered' && name !== undefined) {
      enqueue(() => view.stateEntered(name));
      if (name === 'OcrDocuments') refreshOcr();
    }
    if (event.type === 'StateExited' && name !== undefined) {
      if (OCR_BATCH_ENDS.has(name) || name === 'OcrDocuments') refreshOcr();
      if (name === 'BuildDataset') {
        const built = datasetStateSchema.safeParse(event.output);
        if (built.success) enqueue(() => view.dataset(built.data.dataset));
      }
      if (name === 'PollTraining') {
        const polled = pollStateSchema.safeParse(event.output);
        if (polled.success) enqueue(() => view.poll(polled.data.polling));
      }
    }
    if (event.type === 'StateFailed' || event.type === 'ExecutionFailed') {
      enqueue(() => view.stateFailed(name, event.error, event.cause));
    }
  };
  return { onEvent, settled: () => queue, close: unsubscribe };
};
