import { describe, expect, it } from 'vitest';
import { trainingChannels } from '../../../../src/steps/build-dataset/training-channels';

const base = {
  trainS3Uri: 's3://b/datasets/f/train-',
  validationS3Uri: 's3://b/datasets/f/validation-',
  labelsS3Uri: 's3://b/datasets/f/labels.json',
  championS3Uri: null,
};
const names = (channels: ReturnType<typeof trainingChannels>) => channels.map((c) => c.ChannelName);

describe('trainingChannels', () => {
  it('passes train, validation and labels only when there are no images and no model', () => {
    const channels = trainingChannels({ ...base, imagesS3Uri: null, modelS3Uri: null });
    expect(names(channels)).toEqual(['train', 'validation', 'labels']);
    expect(channels[0]).toEqual({
      ChannelName: 'train',
      ContentType: 'application/jsonlines',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated', S3Uri: base.trainS3Uri } },
    });
    expect(channels[2]?.DataSource.S3DataSource.S3Uri).toBe(base.labelsS3Uri);
  });

  it('adds the images channel when page images were written', () => {
    const channels = trainingChannels({ ...base, imagesS3Uri: 's3://b/datasets/f/images/', modelS3Uri: null });
    expect(names(channels)).toEqual(['train', 'validation', 'labels', 'images']);
    expect(channels[3]?.DataSource.S3DataSource.S3Uri).toBe('s3://b/datasets/f/images/');
  });

  it('adds the model channel when a pretrained model is named, with or without images', () => {
    const model = 's3://other/pretrained/layoutlmv3.tar.gz';
    expect(names(trainingChannels({ ...base, imagesS3Uri: null, modelS3Uri: model }))).toEqual(['train', 'validation', 'labels', 'model']);
    const both = trainingChannels({ ...base, imagesS3Uri: 's3://b/datasets/f/images/', modelS3Uri: model });
    expect(names(both)).toEqual(['train', 'validation', 'labels', 'images', 'model']);
    expect(both[4]?.DataSource.S3DataSource.S3Uri).toBe(model);
  });

  it("adds the champion channel (the lineage champion's model.tar.gz) last, when the lineage has one", () => {
    const champion = 's3://b/models/receipts/doctrain-r1-a1/output/model.tar.gz';
    const channels = trainingChannels({ ...base, imagesS3Uri: null, modelS3Uri: null, championS3Uri: champion });
    expect(names(channels)).toEqual(['train', 'validation', 'labels', 'champion']);
    expect(channels[3]).toEqual({
      ChannelName: 'champion',
      ContentType: 'application/x-gzip',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated', S3Uri: champion } },
    });
  });
});
