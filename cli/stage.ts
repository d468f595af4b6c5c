/**
 * The clients and deployment settings of where a command looks (cli/target.ts): a local stage (through the
 * endpoints of the process that holds it, `doctrain local up` or a `doctrain run`, else its persistent data
 * opened for the command), or the environment's AWS with the stack's settings from the environment
 * (DOCTRAIN_TABLE, DOCTRAIN_BUCKET, DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX). Used by the lineage commands and
 * `doctrain report`.
 */
import { localAwsClients } from '../local/clients';
import { localStageSettings, startLocalServices } from '../local/services';
import { stageHolder } from '../local/stage-lock';
import { requireLocalStage } from '../local/stage-table';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../src/aws/clients';
import type { DeploymentSettings } from '../src/contracts/settings';
import { readDeploymentSettings } from '../src/steps/validate-input/step';
import { CliError } from './exit-codes';
import { stageDir, type Target } from './target';

export interface OpenStage {
  clients: AwsClients;
  /** The stage's deployment settings: a local stage's own, else parsed from the environment when asked for (it throws, naming what is missing). */
  settings: () => DeploymentSettings;
  /** True for a local stage. */
  local: boolean;
}

/** Runs `work` against the target's clients and settings, and closes what it opened. */
export const withStage = async <T>(root: string, target: Target, owner: string, work: (stage: OpenStage) => Promise<T>): Promise<T> => {
  if (target.kind === 'local') {
    // A stage another process serves: its endpoints, with the settings the stage's handlers get.
    const endpoints = stageHolder(target.dataDir)?.endpoints;
    if (endpoints !== undefined) {
      const clients = localAwsClients(endpoints);
      try {
        return await work({ clients, settings: () => localStageSettings(root), local: true });
      } finally {
        destroyAwsClients(clients);
      }
    }
    // A read never makes a stage: a folder no run or `local up` has used is not found (exit 3).
    requireLocalStage(target.dataDir);
    const services = await startLocalServices({ root, dataDir: target.dataDir, persistent: true, owner });
    try {
      return await work({ clients: services.clients, settings: () => services.settings, local: true });
    } finally {
      await services.close();
    }
  }
  if (target.stage !== undefined) {
    throw new CliError(
      `no local stage "${target.stage}" (${stageDir(root, target.stage)} does not exist); on a deployed stage this command reads the stack's settings from the environment (DOCTRAIN_TABLE, DOCTRAIN_BUCKET, DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX): leave out --stage`,
      'notFound',
    );
  }
  const clients = createAwsClients({ dynamo: target.aws, s3: target.aws, sagemaker: target.aws });
  try {
    return await work({ clients, settings: () => readDeploymentSettings(process.env), local: false });
  } finally {
    destroyAwsClients(clients);
  }
};
