/**
 * PromoteModel: the challenger (this run's completed job) against the champion it was scored beside
 * (src/retrain/promotion.ts), the decision carried out on the lineage and the registry
 * (src/retrain/apply-promotion.ts), and the run recorded COMPLETED with the promotion and the figures
 * that made it. Why the trainer scores the champion rather than a separate evaluation step: the job
 * already has the validation documents, the GPU and the libraries; a separate SageMaker job (or a
 * Lambda, which cannot run torch) would cost a second instance start for a few seconds of inference.
 */
import { applyPromotion, type ApplyPromotionDeps } from '../../retrain/apply-promotion';
import { decidePromotion } from '../../retrain/promotion';
import type { RunStore } from '../../status/run-store';
import type { PromoteModelEvent, PromoteModelResult } from './schema';

export const promoteModel = async (
  deps: ApplyPromotionDeps & { store: RunStore },
  event: PromoteModelEvent,
): Promise<PromoteModelResult> => {
  const decision = decidePromotion({
    metrics: event.metrics,
    championRunId: event.retrain.champion?.runId ?? null,
    margin: event.rule.margin,
    tolerance: event.rule.fieldTolerance,
    decidedAt: deps.now().toISOString(),
  });
  const promotion = await applyPromotion(deps, {
    modelName: event.modelName,
    runId: event.runId,
    fingerprint: event.retrain.fingerprint,
    modelArtifactUri: event.modelArtifactUri,
    decision,
    expectedVersion: event.retrain.lineageVersion,
    by: 'pipeline',
  });
  await deps.store.writeStatusChange({
    runId: event.runId,
    executionName: event.executionName,
    status: 'COMPLETED',
    at: deps.now().toISOString(),
    attributes: { promotion },
    detail: { promotion: promotion.decision, rule: promotion.rule, reason: promotion.reason },
  });
  return {
    status: 'COMPLETED',
    decision: promotion.decision,
    rule: promotion.rule,
    reason: promotion.reason,
    championBefore: promotion.championBefore,
    championAfter: promotion.championAfter,
    ...(promotion.modelPackageArn === undefined ? {} : { modelPackageArn: promotion.modelPackageArn }),
  };
};
