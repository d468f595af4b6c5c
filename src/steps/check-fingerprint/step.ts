/**
 * CheckFingerprint: is there anything new to learn? One S3 listing of the documents prefix (keys, ETags,
 * sizes: documents and annotations) and one read of the lineage item give the training fingerprint
 * (src/retrain/fingerprint.ts) and the champion. Unchanged since the champion or the lineage's last
 * COMPLETED run, and not `force`: the run is skipped (RecordSkipped), before PlanBatches writes anything,
 * before any Textract call and before any SageMaker call. It runs after Preflight because the resolved
 * image digest is part of the fingerprint (a new trainer build is a reason to train), and Preflight only
 * reads (ECR, Service Quotas), so nothing that costs money comes before it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../../aws/s3-objects';
import type { LineageStore } from '../../status/lineage-store';
import { trainingFingerprint } from '../../retrain/fingerprint';
import { jobHyperparameters } from '../../contracts/training-config';
import type { CheckFingerprintEvent, RetrainDecision } from './schema';

export const checkFingerprint = async (
  deps: { s3: S3Client; lineage: LineageStore },
  { config, imageDigest }: CheckFingerprintEvent,
): Promise<RetrainDecision> => {
  const [objects, lineage] = await Promise.all([
    listObjects(deps.s3, config.bucket, config.documentsPrefix),
    deps.lineage.get(config.modelName),
  ]);
  const fingerprint = trainingFingerprint({
    documentsPrefix: config.documentsPrefix,
    objects,
    imageDigest,
    hyperparameters: config.training.hyperparameters,
    dataset: {
      validationFraction: config.dataset.validationFraction,
      pageImages: config.dataset.pageImages,
      locale: config.dataset.locale,
      fieldNames: config.dataset.fieldNames,
      ...(config.dataset.task !== null && { task: config.dataset.task }),
      ...(config.dataset.classes !== null && { classes: config.dataset.classes }),
    },
    modelChannelUri: config.training.modelChannelUri,
    warmStart: config.training.warmStart,
  });
  const champion = lineage?.champion ?? null;
  const last = lineage?.lastCompleted;
  const matched =
    champion !== null && champion.fingerprint === fingerprint
      ? { runId: champion.runId, what: `the champion ${champion.runId}` }
      : last !== undefined && last.fingerprint === fingerprint
        ? { runId: last.runId, what: `the last COMPLETED run ${last.runId}` }
        : undefined;
  const warmStart = config.training.warmStart === 'champion' && champion !== null;
  const decision = matched !== undefined && !config.force ? 'skip' : 'train';
  const listed = `${objects.length} objects under s3://${config.bucket}/${config.documentsPrefix}`;
  const reason =
    matched === undefined
      ? champion === null && last === undefined
        ? `the lineage ${config.modelName} has no trained model yet`
        : `changed since ${champion === null ? `the last COMPLETED run ${last?.runId ?? ''}` : `the champion ${champion.runId}`} (${listed}, image, hyperparameters or dataset settings)`
      : decision === 'skip'
        ? `nothing changed since ${matched.what}: the same ${listed} (keys, ETags, sizes), training image, hyperparameters and dataset settings; start with force: true (doctrain run --force) to train anyway`
        : `nothing changed since ${matched.what}, but the run was forced`;
  return {
    fingerprint,
    summary: { decision, reason, matchedRunId: matched?.runId ?? null, championRunId: champion?.runId ?? null, warmStart },
    champion: champion === null ? null : { runId: champion.runId, modelArtifactUri: champion.modelArtifactUri },
    lineageVersion: lineage?.version ?? 0,
    hyperparameters: jobHyperparameters(config.training.hyperparameters, warmStart, config.training.warmStartEpochs),
    listedObjects: objects.length,
  };
};
