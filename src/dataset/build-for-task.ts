/**
 * The dataset of a run's task (src/contracts/task.ts): classification when the run says so or, when it
 * names no task, when its documents carry class annotations (./build-classification.ts); token
 * classification otherwise (./build.ts, which refuses class annotations).
 */
import { buildTokenDataset, type BuildDatasetInput, type BuiltDataset } from './build';
import { buildClassificationDataset } from './build-classification';

export function buildDataset(input: BuildDatasetInput): BuiltDataset {
  const classified = input.documents.some((doc) => 'class' in doc.annotation);
  return input.task === 'classification' || (input.task === undefined && classified)
    ? buildClassificationDataset(input)
    : buildTokenDataset(input);
}
