/**
 * The CreateTrainingJob InputDataConfig, computed here because ASL cannot add list items conditionally:
 * train, validation and labels always; `images` when data prep wrote page images; `model` when the run
 * names a saved pretrained model (training.modelChannelUri); `champion` when the lineage has a champion
 * (its model.tar.gz: the trainer scores it on the same validation documents, and warm-starts from it). Channel names are the trainer's
 * (training-image/README.md).
 */
import type { TrainingChannel } from './schema';

export interface TrainingChannelSources {
  trainS3Uri: string;
  validationS3Uri: string;
  labelsS3Uri: string;
  /** The dataset's images prefix, or null when no page images were written. */
  imagesS3Uri: string | null;
  /** An s3:// URI of a saved pretrained model (folder prefix or .tar.gz), or null. */
  modelS3Uri: string | null;
  /** The lineage champion's model.tar.gz, or null: none yet. */
  championS3Uri: string | null;
}

const channel = (name: string, contentType: string, uri: string): TrainingChannel => ({
  ChannelName: name,
  ContentType: contentType,
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated', S3Uri: uri } },
});

export const trainingChannels = (sources: TrainingChannelSources): TrainingChannel[] => [
  channel('train', 'application/jsonlines', sources.trainS3Uri),
  channel('validation', 'application/jsonlines', sources.validationS3Uri),
  channel('labels', 'application/json', sources.labelsS3Uri),
  ...(sources.imagesS3Uri === null ? [] : [channel('images', 'application/x-image', sources.imagesS3Uri)]),
  ...(sources.modelS3Uri === null ? [] : [channel('model', 'application/octet-stream', sources.modelS3Uri)]),
  ...(sources.championS3Uri === null ? [] : [channel('champion', 'application/x-gzip', sources.championS3Uri)]),
];
