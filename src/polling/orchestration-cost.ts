/**
 * What orchestrating one retrain costs on AWS: Step Functions Standard state transitions and Lambda
 * invocations, at list prices (us-east-1, checked 2026; monthly free tiers ignored). Used by
 * bench/polling.ts; override any price for another region or a negotiated rate.
 */
import { DEFAULT_ORCHESTRATION_PRICES, type OrchestrationPrices } from '../contracts/prices';

export interface OrchestrationUse {
  transitions: number;
  /** Lambda invocations, each with its memory (MB) and billed duration (ms). */
  lambdaCalls: { count: number; memoryMb: number; billedMs: number }[];
}

export interface OrchestrationCost {
  stepFunctionsUsd: number;
  lambdaUsd: number;
  totalUsd: number;
}

export const orchestrationCost = (use: OrchestrationUse, prices: OrchestrationPrices = DEFAULT_ORCHESTRATION_PRICES): OrchestrationCost => {
  const stepFunctionsUsd = use.transitions * prices.stateTransitionUsd;
  const lambdaUsd = use.lambdaCalls.reduce(
    (sum, call) =>
      sum + call.count * (prices.lambdaRequestUsd + (call.memoryMb / 1024) * (call.billedMs / 1000) * prices.lambdaGbSecondUsd),
    0,
  );
  return { stepFunctionsUsd, lambdaUsd, totalUsd: stepFunctionsUsd + lambdaUsd };
};
