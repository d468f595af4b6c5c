/**
 * `doctrain lineage|promote|rollback`: a model lineage's champion, history and manual changes, on a local
 * stage (`--stage` / `--data-dir`, cli/target.ts: its persistent data opened for the command) or wherever
 * the environment points (AWS, or `doctrain local up` with .doctrain/local/local.env loaded: the
 * deployment settings' DOCTRAIN_TABLE, DOCTRAIN_BUCKET and DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX).
 */
import type { AwsClients } from '../src/aws/clients';
import type { DeploymentSettings } from '../src/contracts/settings';
import { registrySettingsOf } from '../src/lambda/registry-settings';
import type { ApplyPromotionDeps } from '../src/retrain/apply-promotion';
import { forcePromote, rollbackChampion } from '../src/retrain/lineage-commands';
import { LineageStore } from '../src/status/lineage-store';
import { RunStore } from '../src/status/run-store';
import type { LineageHistoryItem, LineageItem, LineageModel } from '../src/contracts/lineage';
import { CliError, EXIT_CODES, type ExitCode } from './exit-codes';
import type { Output } from './output';
import { withStage } from './stage';
import { describeTarget, type Target } from './target';

type Deps = ApplyPromotionDeps & { store: RunStore };

const depsOf = (clients: AwsClients, settings: DeploymentSettings): Deps => ({
  store: new RunStore(clients.dynamo, settings.DOCTRAIN_TABLE),
  lineage: new LineageStore(clients.dynamo, settings.DOCTRAIN_TABLE),
  sagemaker: clients.sagemaker,
  s3: clients.s3,
  registry: registrySettingsOf(settings),
  now: () => new Date(),
});

/** Runs `work` against the target's clients and settings (cli/stage.ts), and closes what it opened. */
export const withLineageDeps = <T>(root: string, target: Target, owner: string, work: (deps: Deps) => Promise<T>): Promise<T> =>
  withStage(root, target, owner, ({ clients, settings }) => work(depsOf(clients, settings())));

const who = (): string => process.env['USER'] ?? 'doctrain-cli';

const modelLine = (model: LineageModel): string =>
  `${model.runId}  entity F1 ${model.scores.entityF1.toFixed(4)}  since ${model.since}  ${model.modelArtifactUri}${model.modelPackageArn === undefined ? '' : `  ${model.modelPackageArn}`}`;

const lineageLines = (lineage: LineageItem, history?: readonly LineageHistoryItem[]): string[] => [
  `lineage ${lineage.modelName} (version ${lineage.version})`,
  `champion:   ${lineage.champion === null ? '-' : modelLine(lineage.champion)}`,
  ...[...lineage.previous].reverse().map((model) => `before:     ${modelLine(model)}`),
  ...(lineage.lastCompleted === undefined ? [] : [`last COMPLETED run: ${lineage.lastCompleted.runId} at ${lineage.lastCompleted.at}`]),
  ...(history === undefined
    ? []
    : [
        'history:',
        ...history.map(
          (entry) =>
            `  ${entry.at}  ${entry.action.padEnd(11)} ${entry.runId}  by ${entry.by}  (${entry.championBefore ?? '-'} -> ${entry.championAfter ?? '-'}): ${entry.reason}`,
        ),
      ]),
];

export const showLineage = (root: string, target: Target, output: Output, modelName: string): Promise<ExitCode> =>
  withLineageDeps(root, target, 'doctrain lineage', async (deps) => {
    const lineage = await deps.lineage.get(modelName);
    if (lineage === undefined) {
      throw new CliError(`no lineage ${modelName} in ${describeTarget(target)}: no run of it has completed yet`, 'notFound');
    }
    const history = await deps.lineage.history(modelName);
    output.result({ lineage, history }, () => lineageLines(lineage, history));
    return EXIT_CODES.ok;
  });

export const promoteCommand = (root: string, target: Target, output: Output, runId: string, reason: string): Promise<ExitCode> =>
  withLineageDeps(root, target, 'doctrain promote', async (deps) => {
    const promotion = await forcePromote(deps, runId, { by: who(), reason });
    output.result(promotion, () => [
      `run ${runId} is the champion now (was ${promotion.championBefore ?? 'none'})${promotion.modelPackageArn === undefined ? '' : `; model package ${promotion.modelPackageArn}`}`,
    ]);
    return EXIT_CODES.ok;
  });

export const rollbackCommand = (root: string, target: Target, output: Output, modelName: string, reason: string): Promise<ExitCode> =>
  withLineageDeps(root, target, 'doctrain rollback', async (deps) => {
    const lineage = await rollbackChampion(deps, modelName, { by: who(), reason });
    output.result({ lineage }, () => [
      `rolled back: ${lineage.champion?.runId ?? '-'} is the champion of ${modelName} again`,
      ...lineageLines(lineage),
    ]);
    return EXIT_CODES.ok;
  });
