/**
 * Carries out a promotion decision (the pipeline's, or a person's `doctrain promote --force`): the
 * champion pointer's conditional write, the registry, the lineage history. Shared by the PromoteModel
 * step and the CLI so that both change the lineage the same way.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ModelApprovalStatus, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { putJson, s3Uri } from '../aws/s3-objects';
import type { LineageModel, Promotion } from '../contracts/lineage';
import { promotionKey } from '../contracts/s3-layout';
import { emptyLineage, type LineageStore } from '../status/lineage-store';
import type { PromotionDecision } from './promotion';
import { modelPackageGroupName, registerModel } from './registry';

export interface RegistrySettings {
  bucket: string;
  groupPrefix: string;
  inferenceImage: string;
  /** Of a promoted model's package. */
  approval: Extract<ModelApprovalStatus, 'Approved' | 'PendingManualApproval'>;
  registerRejected: boolean;
}

export interface ApplyPromotionDeps {
  lineage: LineageStore;
  sagemaker: SageMakerClient;
  s3: S3Client;
  registry: RegistrySettings;
  now: () => Date;
}

export interface ApplyPromotionInput {
  modelName: string;
  runId: string;
  fingerprint: string;
  modelArtifactUri: string;
  decision: PromotionDecision;
  /** The lineage version the decision was made against (0: none yet); the pointer's write is conditioned on it. */
  expectedVersion: number;
  /** `pipeline`, or who forced it. */
  by: string;
}

const f4 = (value: number): string => value.toFixed(4);

export const applyPromotion = async (deps: ApplyPromotionDeps, input: ApplyPromotionInput): Promise<Promotion> => {
  const at = deps.now().toISOString();
  const lineage = (await deps.lineage.get(input.modelName)) ?? emptyLineage(input.modelName, at);
  let decision = input.decision;
  let championAfter = lineage.champion?.runId ?? null;
  const completed = { runId: input.runId, fingerprint: input.fingerprint };
  if (decision.decision === 'promoted') {
    const model: LineageModel = {
      runId: input.runId,
      modelArtifactUri: input.modelArtifactUri,
      fingerprint: input.fingerprint,
      scores: decision.challenger,
      since: at,
    };
    const previous = lineage.champion === null ? lineage.previous : [...lineage.previous, lineage.champion];
    const written =
      lineage.version === input.expectedVersion
        ? await deps.lineage.changeChampion({
            modelName: input.modelName,
            expectedVersion: input.expectedVersion,
            champion: model,
            previous,
            at,
            completed,
          })
        : 'superseded';
    if (written === 'changed') {
      championAfter = input.runId;
    } else {
      decision = {
        ...decision,
        decision: 'rejected',
        rule: 'superseded',
        reason: `${decision.reason}; but the champion changed while this run was decided (now ${lineage.champion?.runId ?? 'none'}, lineage version ${lineage.version}, expected ${input.expectedVersion}): it was compared with another champion, so it is not promoted; retrain to compare with the new one`,
      };
    }
  }
  if (decision.decision === 'rejected') await deps.lineage.recordCompleted(input.modelName, completed, at);

  const promotion: Promotion = { ...decision, championAfter };
  const statistics = { bucket: deps.registry.bucket, key: promotionKey(input.modelName, input.runId) };
  await putJson(deps.s3, statistics, { schemaVersion: 1, modelName: input.modelName, runId: input.runId, promotion });
  if (decision.decision === 'promoted' || deps.registry.registerRejected) {
    const modelPackageArn = await registerModel(deps.sagemaker, {
      group: modelPackageGroupName(deps.registry.groupPrefix, input.modelName),
      modelName: input.modelName,
      runId: input.runId,
      modelArtifactUri: input.modelArtifactUri,
      inferenceImage: deps.registry.inferenceImage,
      approval: decision.decision === 'promoted' ? deps.registry.approval : 'Rejected',
      statisticsUri: s3Uri(statistics),
      description: `doctrain run ${input.runId}: ${decision.decision} (${decision.rule}): ${decision.reason}`,
      metadata: {
        runId: input.runId,
        fingerprint: input.fingerprint.slice(0, 64),
        decision: decision.decision,
        rule: decision.rule,
        entityF1: f4(decision.challenger.entityF1),
        ...(decision.champion === null ? {} : { championEntityF1: f4(decision.champion.entityF1), comparedWith: decision.champion.runId }),
      },
    });
    promotion.modelPackageArn = modelPackageArn;
    if (decision.decision === 'promoted') await deps.lineage.setChampionPackage(input.modelName, input.runId, modelPackageArn);
  }
  await deps.lineage.appendHistory({
    modelName: input.modelName,
    at,
    action: decision.decision === 'rejected' ? 'rejected' : input.by === 'pipeline' ? 'promoted' : 'forced',
    runId: input.runId,
    by: input.by,
    reason: decision.reason,
    championBefore: lineage.champion?.runId ?? null,
    championAfter,
    detail: { rule: decision.rule, challenger: decision.challenger, champion: decision.champion, regressions: decision.regressions },
  });
  return promotion;
};
