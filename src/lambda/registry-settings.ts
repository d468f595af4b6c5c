/** The model registry's settings (src/retrain/apply-promotion.ts), from the deployment settings. */
import type { DeploymentSettings } from '../contracts/settings';
import type { RegistrySettings } from '../retrain/apply-promotion';
import { defaultInferenceImage } from '../retrain/registry';

export const registrySettingsOf = (settings: DeploymentSettings): RegistrySettings => ({
  bucket: settings.DOCTRAIN_BUCKET,
  groupPrefix: settings.DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX,
  inferenceImage: settings.DOCTRAIN_INFERENCE_IMAGE ?? defaultInferenceImage(settings.AWS_REGION),
  approval: settings.DOCTRAIN_MODEL_APPROVAL,
  registerRejected: settings.DOCTRAIN_REGISTER_REJECTED,
});
