/**
 * The main job on the embedded local default: synthetic receipts -> the real state machine -> a trained
 * model. Prints progress as it goes and a summary at the end; exit code 0 only when the run COMPLETED.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { uploadSyntheticReceipts } from '../local/pipeline';
import { s3Uri } from '../src/aws/s3-objects';
import { DEFAULT_DOCUMENTS_PREFIX } from '../src/contracts/s3-layout';
import { runNarrated } from './pipeline-progress';

export interface DemoOptions {
  root: string;
  documents: number;
  seed: number;
  dataDir: string;
  hyperparameters: Record<string, string | number>;
  budgetUsd?: number | undefined;
}

export const runDemo = async (options: DemoOptions): Promise<number> => {
  // A fresh run record store each time; S3 (and so the OCR cache) is kept between demo runs.
  await rm(path.join(options.dataDir, 'sagemaker'), { recursive: true, force: true });
  return runNarrated({
    root: options.root,
    dataDir: options.dataDir,
    persistent: false,
    title: 'doctrain demo',
    runIdPrefix: 'demo',
    hyperparameters: options.hyperparameters,
    budgetUsd: options.budgetUsd,
    prepare: async (pipeline, { log, phase }) => {
      const keys = await phase('render + upload receipts', () =>
        uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: options.documents, seed: options.seed }),
      );
      log(
        `uploaded ${keys.length} synthetic receipts (+ annotations) to ${s3Uri({ bucket: pipeline.services.bucket, key: DEFAULT_DOCUMENTS_PREFIX })}`,
      );
      return {};
    },
  });
};
