/**
 * Distributed Map on the local runtime. aws-local-stepfunctions 3.0.0 runs inline Maps only: it knows no
 * `ProcessorConfig.Mode: DISTRIBUTED`, `ItemReader`, `ItemBatcher`, `ResultWriter` nor
 * `ToleratedFailurePercentage`. The local runtime translates a Distributed Map whose items are a JSON array
 * in S3 (ItemReader `arn:aws:states:::s3:getObject`, ReaderConfig InputType JSON) into the equivalent
 * inline iteration, written by hand here as no library does it:
 *  - a Task state `<Map>ItemReader`, placed before the Map (every transition to the Map goes to it),
 *    evaluates the ItemReader's Parameters as AWS does and reads the object into a per-execution item
 *    store; the Map's ItemsPath reads the store through the context object
 *    (`$$.DoctrainLocalItems.<Map>`), so the items never enter the state, as on AWS;
 *  - each item runs as an inline iteration in this process under the same MaxConcurrency(Path) and
 *    ItemSelector; the history count treats each iteration as the child execution it is on AWS
 *    (local/stepfunctions.ts executionHistories) and leaves the reader state out.
 * Not emulated, and refused where it would change the outcome: ItemBatcher and a tolerated failure share
 * above 0 (refused); ResultWriter (nothing is written to S3 locally, the Map's result is discarded, so
 * its ResultPath must be null); ExecutionType EXPRESS limits, Map Run ARNs and child execution names.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getJson } from '../src/aws/s3-objects';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateNode = Record<string, unknown>;

/** Where the item store sits in each execution's context object. */
export const LOCAL_ITEMS_CONTEXT_KEY = 'DoctrainLocalItems';

export interface DistributedMapTranslation {
  mapState: string;
  /** The Task state inserted before the Map that reads its items. */
  readerState: string;
  /** The names of the states of the Map's item processor (each iteration's, a child execution's on AWS). */
  childStates: readonly string[];
  maxItems: number | undefined;
}

/** Per execution: the items each translated Map iterates over, by Map state name. */
export type LocalItemStore = Record<string, Json[]>;

const stateNames = (processor: StateNode): string[] =>
  Object.entries((processor['States'] ?? {}) as Record<string, StateNode>).flatMap(([name, state]) => [
    name,
    ...(state['ItemProcessor'] ? stateNames(state['ItemProcessor'] as StateNode) : []),
  ]);

/** Points every transition of one States level that goes to `from` at `to` (Next, Default, Choices, Catch, StartAt). */
const redirect = (level: StateNode, from: string, to: string): void => {
  if (level['StartAt'] === from) level['StartAt'] = to;
  for (const state of Object.values(level['States'] as Record<string, StateNode>)) {
    if (state['Next'] === from) state['Next'] = to;
    if (state['Default'] === from) state['Default'] = to;
    for (const rule of [...((state['Choices'] as StateNode[] | undefined) ?? []), ...((state['Catch'] as StateNode[] | undefined) ?? [])]) {
      if (rule['Next'] === from) rule['Next'] = to;
    }
  }
};

const refuse = (mapState: string, why: string): never => {
  throw new Error(`Local runtime: Distributed Map ${mapState}: ${why}`);
};

/** Rewrites every Distributed Map of `definition` (in place) into a reader Task + inline Map; returns what it did. */
export const inlineDistributedMaps = (definition: StateNode): DistributedMapTranslation[] => {
  const translations: DistributedMapTranslation[] = [];
  const visit = (level: StateNode): void => {
    const states = level['States'] as Record<string, StateNode>;
    for (const [name, state] of Object.entries(states)) {
      const processor = state['ItemProcessor'] as StateNode | undefined;
      if (!processor) continue;
      visit(processor);
      const config = (processor['ProcessorConfig'] ?? {}) as StateNode;
      if (config['Mode'] !== 'DISTRIBUTED') continue;
      const reader = state['ItemReader'] as StateNode | undefined;
      const readerConfig = (reader?.['ReaderConfig'] ?? {}) as StateNode;
      if (!reader || reader['Resource'] !== 'arn:aws:states:::s3:getObject' || readerConfig['InputType'] !== 'JSON') {
        refuse(name, 'only an ItemReader reading a JSON array with arn:aws:states:::s3:getObject runs locally');
      }
      if (state['ItemBatcher'] !== undefined) refuse(name, 'ItemBatcher does not run locally');
      if (
        state['ToleratedFailureCount'] !== undefined ||
        state['ToleratedFailureCountPath'] !== undefined ||
        state['ToleratedFailurePercentagePath'] !== undefined
      ) {
        refuse(name, 'only ToleratedFailurePercentage 0 runs locally (an inline Map fails on its first failed iteration)');
      }
      if ((state['ToleratedFailurePercentage'] ?? 0) !== 0) refuse(name, 'only ToleratedFailurePercentage 0 runs locally');
      if (state['ResultWriter'] !== undefined && state['ResultPath'] !== null) {
        refuse(name, 'a ResultWriter Map needs ResultPath null locally (the written results are not emulated)');
      }
      const readerState = `${name}ItemReader`;
      if (states[readerState]) refuse(name, `a state named ${readerState} already exists`);
      const maxItems = readerConfig['MaxItems'];
      translations.push({
        mapState: name,
        readerState,
        childStates: stateNames(processor),
        maxItems: typeof maxItems === 'number' ? maxItems : undefined,
      });
      redirect(level, name, readerState);
      states[readerState] = {
        Type: 'Task',
        Comment: `Local runtime: ${name}'s ItemReader`,
        Resource: 'arn:aws:states:::s3:getObject',
        Parameters: reader?.['Parameters'] ?? {},
        ResultPath: null,
        // A failed read fails the Map state on AWS (States.ItemReaderFailed): the Map's catchers apply.
        ...(state['Catch'] === undefined ? {} : { Catch: state['Catch'] }),
        Next: name,
      };
      for (const field of ['ItemReader', 'ResultWriter', 'ToleratedFailurePercentage', 'Label']) delete state[field];
      state['ItemsPath'] = `$$.${LOCAL_ITEMS_CONTEXT_KEY}.${name}`;
      processor['ProcessorConfig'] = { Mode: 'INLINE' };
    }
  };
  visit(definition);
  return translations;
};

/** Fails as Step Functions names an ItemReader's failure. */
const readerFailed = (cause: string): never => {
  const error = new Error(cause);
  error.name = 'States.ItemReaderFailed';
  throw error;
};

/** The reader Task's handler for one execution: reads the JSON array the ItemReader names into the store. */
export const itemReaderHandler =
  (s3: S3Client, store: LocalItemStore, translation: DistributedMapTranslation) =>
  async (input: Json): Promise<Json> => {
    const { Bucket: bucket, Key: key } = (input ?? {}) as { Bucket?: unknown; Key?: unknown };
    if (typeof bucket !== 'string' || typeof key !== 'string') {
      throw new Error(`Local runtime: ${translation.readerState} needs string Bucket and Key, got ${JSON.stringify(input)}`);
    }
    const items = await getJson(s3, { bucket, key }).catch((error: unknown) =>
      readerFailed(`s3://${bucket}/${key}: ${(error as Error).message}`),
    );
    if (!Array.isArray(items)) return readerFailed(`s3://${bucket}/${key} is no JSON array: the ItemReader's InputType JSON needs one`);
    store[translation.mapState] = (translation.maxItems === undefined ? items : items.slice(0, translation.maxItems)) as Json[];
    return {};
  };
