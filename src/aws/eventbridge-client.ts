/** The EventBridge client (the pipeline's notifications: PutEvents on the stage's event bus). */
import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';

export const createEventBridgeClient = (config: EventBridgeClientConfig = {}): EventBridgeClient => new EventBridgeClient(config);
