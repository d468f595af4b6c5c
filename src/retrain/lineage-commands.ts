/**
 * What a person does to a lineage by hand (`doctrain promote --force`, `doctrain rollback`), with the
 * same conditional pointer write as the pipeline and a history entry saying who and why.
 */
import { UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { NoChampionError } from '../contracts/errors';
import type { LineageItem, Promotion } from '../contracts/lineage';
import type { RunStore } from '../status/run-store';
import { applyPromotion, type ApplyPromotionDeps } from './apply-promotion';
import { challengerScores } from './promotion';

export interface ManualChange {
  by: string;
  reason: string;
}

/** Makes a COMPLETED run's model the champion of its lineage, whatever the promotion rule decided. */
export const forcePromote = async (
  deps: ApplyPromotionDeps & { store: RunStore },
  runId: string,
  change: ManualChange,
): Promise<Promotion> => {
  const run = await deps.store.getRun(runId);
  if (run === undefined) throw new NoChampionError(`no run ${runId}`);
  if (
    run.status !== 'COMPLETED' ||
    run.modelArtifactUri === undefined ||
    run.modelName === undefined ||
    run.trainingFingerprint === undefined
  ) {
    throw new NoChampionError(
      `run ${runId} is ${run.status}${run.modelArtifactUri === undefined ? ' without a model artifact' : ''}: only a COMPLETED run's model can be promoted`,
    );
  }
  const lineage = await deps.lineage.get(run.modelName);
  if (lineage?.champion?.runId === runId) throw new NoChampionError(`run ${runId} is already the champion of ${run.modelName}`);
  return applyPromotion(deps, {
    modelName: run.modelName,
    runId,
    fingerprint: run.trainingFingerprint,
    modelArtifactUri: run.modelArtifactUri,
    decision: {
      decision: 'promoted',
      rule: 'forced',
      reason: `forced by ${change.by}: ${change.reason}${run.promotion === undefined ? '' : ` (the pipeline had decided: ${run.promotion.decision}, ${run.promotion.reason})`}`,
      margin: run.promotion?.margin ?? 0,
      tolerance: run.promotion?.tolerance ?? 0,
      challenger: challengerScores(run.metrics ?? {}) ?? { entityF1: 0, fields: {} },
      champion: null,
      fieldDeltas: {},
      regressions: [],
      championBefore: lineage?.champion?.runId ?? null,
      decidedAt: deps.now().toISOString(),
    },
    expectedVersion: lineage?.version ?? 0,
    by: change.by,
  });
};

/** Restores the champion before the current one: the current one's model package (if any) is marked Rejected, the restored one's approved again. */
export const rollbackChampion = async (deps: ApplyPromotionDeps, modelName: string, change: ManualChange): Promise<LineageItem> => {
  const lineage = await deps.lineage.get(modelName);
  const current = lineage?.champion ?? null;
  const restored = lineage?.previous.at(-1);
  if (lineage === undefined || current === null || restored === undefined) {
    throw new NoChampionError(
      current === null
        ? `the lineage ${modelName} has no champion`
        : `the lineage ${modelName} has no earlier champion to roll back to (champion ${current.runId})`,
    );
  }
  const at = deps.now().toISOString();
  const changed = await deps.lineage.changeChampion({
    modelName,
    expectedVersion: lineage.version,
    champion: { ...restored, since: at },
    previous: lineage.previous.slice(0, -1),
    at,
  });
  if (changed === 'superseded')
    throw new NoChampionError(
      `the champion of ${modelName} changed while rolling back; look again (doctrain lineage ${modelName}) and retry`,
    );
  if (current.modelPackageArn !== undefined) {
    await deps.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: current.modelPackageArn,
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: `rolled back by ${change.by}: ${change.reason}`.slice(0, 1000),
      }),
    );
  }
  if (restored.modelPackageArn !== undefined) {
    await deps.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: restored.modelPackageArn,
        ModelApprovalStatus: deps.registry.approval,
        ApprovalDescription: `champion again after a rollback by ${change.by}: ${change.reason}`.slice(0, 1000),
      }),
    );
  }
  await deps.lineage.appendHistory({
    modelName,
    at,
    action: 'rolled-back',
    runId: restored.runId,
    by: change.by,
    reason: change.reason,
    championBefore: current.runId,
    championAfter: restored.runId,
  });
  const after = await deps.lineage.get(modelName);
  if (after === undefined) throw new NoChampionError(`the lineage ${modelName} disappeared while rolling back`);
  return after;
};
