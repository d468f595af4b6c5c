/**
 * What orchestrating one retrain costs on AWS: Step Functions Standard state transitions and Lambda
 * invocations, at list prices (us-east-1, checked 2026; monthly free tiers ignored). Used by
 * bench/polling.ts; override any price for another region or a negotiated rate.
 */
import * as z from 'zod';

export const orchestrationPricesSchema = z.strictObject({
  /** Step Functions Standard: USD per state transition ($0.025 per 1,000). */
  stateTransitionUsd: z.number().nonnegative(),
  /** Lambda: USD per request ($0.20 per million). */
  lambdaRequestUsd: z.number().nonnegative(),
  /** Lambda on arm64 (serverless.yml's architecture): USD per GB-second ($0.0000133334). */
  lambdaGbSecondUsd: z.number().nonnegative(),
});
export type OrchestrationPrices = z.infer<typeof orchestrationPricesSchema>;

export const DEFAULT_ORCHESTRATION_PRICES: OrchestrationPrices = {
  stateTransitionUsd: 0.025 / 1000,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaGbSecondUsd: 0.0000133334,
};

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
    (sum, call) => sum + call.count * (prices.lambdaRequestUsd + (call.memoryMb / 1024) * (call.billedMs / 1000) * prices.lambdaGbSecondUsd),
    0,
  );
  return { stepFunctionsUsd, lambdaUsd, totalUsd: stepFunctionsUsd + lambdaUsd };
};
