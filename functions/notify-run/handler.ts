/** NotifyRun: the final run record -> EventBridge events (`source: doctrain`) on the stack's bus. */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeClient } from '../../src/aws/eventbridge-client';
import { notifyRunEventSchema } from '../../src/steps/notify-run/schema';
import { defineHandler } from '../../src/lambda/handler';
import { lineageStoreOf, runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { notifyRun } from '../../src/steps/notify-run/step';

export interface NotifyRunDeps extends RunStoreDeps {
  eventBridge: EventBridgeClient;
}

export const createNotifyRunHandler = (deps: NotifyRunDeps) =>
  defineHandler(
    {
      name: 'NotifyRun',
      eventSchema: notifyRunEventSchema,
      run: (event) =>
        notifyRun(
          {
            eventBridge: deps.eventBridge,
            store: runStoreOf(deps),
            lineage: lineageStoreOf(deps),
            eventBus: deps.settings().DOCTRAIN_EVENT_BUS,
            now: deps.now,
          },
          event,
        ),
    },
    deps,
  );

export const notifyRunDepsFromEnv = (env: LambdaEnvironment): NotifyRunDeps => ({
  eventBridge: createEventBridgeClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createNotifyRunHandler(notifyRunDepsFromEnv(process.env));
