/**
 * Reads serverless.yml the way the local runtime needs it: the function table (handler modules), the
 * stage's doctrain config, the DynamoDB table definition and the state machine definition. serverless.yml
 * stays the single source of truth; the local run never keeps its own copy of any of these.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type Tags } from 'yaml';

/** CloudFormation short-form tags, kept as their long form so references stay inspectable. */
const cloudFormationTags: Tags = [
  ...[
    'Ref',
    'Sub',
    'GetAtt',
    'Join',
    'Select',
    'Split',
    'If',
    'Equals',
    'Not',
    'And',
    'Or',
    'FindInMap',
    'ImportValue',
    'Base64',
    'GetAZs',
    'Cidr',
  ].flatMap((name) => {
    const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
    const toLong = (value: unknown): unknown => ({
      [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value,
    });
    return (['scalar', 'seq', 'map'] as const).map((nodeClass) => ({
      tag: `!${name}`,
      collection: nodeClass === 'scalar' ? undefined : nodeClass,
      resolve: (value: unknown) => toLong(nodeClass === 'scalar' ? value : (value as { toJSON(): unknown }).toJSON()),
    }));
  }),
] as unknown as Tags;

export const parseYaml = (text: string): unknown => parse(text, { customTags: cloudFormationTags, merge: true, maxAliasCount: -1 });

type Json = Record<string, unknown>;

export interface FunctionEntry {
  key: string;
  /** e.g. ValidateInputLambdaFunction, as serverless names the CloudFormation resource. */
  logicalId: string;
  /** Absolute path of the handler module (TypeScript source). */
  modulePath: string;
  exportName: string;
  /**
   * The step's name: the folder of its handler (`functions/<step>/handler.ts`), also the name of its domain
   * code (`src/steps/<step>/`) and of its sample event (`events/<step>.json`).
   */
  step: string;
  /**
   * The handler module's factory, `create<Key>Handler` (e.g. createOcrBatchHandler): the local runtime
   * builds the handler with its own clients and settings from it, instead of using the module-scope
   * `handler` built from the environment.
   */
  factoryName: string;
  /** The `eventBridge` event patterns of the function (the local runtime delivers the events it emits). */
  eventPatterns: Json[];
}

/** A state machine of serverless.yml for one stage: its name and the logical id serverless-step-functions gives it. */
export interface StateMachineEntry {
  /** Its key under stepFunctions.stateMachines. */
  key: string;
  /** Its `name` with the stage filled in (the name it has on AWS), else its key. */
  name: string;
  /** The CloudFormation logical id of its AWS::StepFunctions::StateMachine (what a `!Ref` names). */
  logicalId: string;
  definition: Json;
}

export interface ServerlessProject {
  root: string;
  functions: FunctionEntry[];
  /** The stage's doctrain config (custom.doctrain.stages.<stage>, falling back to defaults). */
  stageConfig(stage: string): Json;
  /** Properties of the RunsTable resource (CloudFormation AWS::DynamoDB::Table). */
  tableProperties: Json;
  /** Each state machine's definition, by its key under stepFunctions.stateMachines. */
  stateMachines: Record<string, Json>;
  /** A state machine as the stage deploys it (name and logical id). */
  stateMachine(key: string, stage: string): StateMachineEntry;
}

/** serverless' own normalisation of a name into a logical id's stem (naming.getNormalizedResourceName). */
const normalizedResourceName = (name: string): string =>
  `${name.charAt(0).toUpperCase()}${name.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}`;

/** serverless' own normalisation of function keys into logical ids. */
export const lambdaLogicalId = (functionKey: string): string => `${normalizedResourceName(functionKey)}LambdaFunction`;

const STAGE_VARIABLE = '${sls:stage}';

/**
 * `${sls:stage}` filled in, in every string of `value` (the one serverless variable the local runtime
 * resolves); any other `${...}` variable is refused, as the local runtime cannot know its value.
 */
export const resolveStage = (value: unknown, stage: string): unknown => {
  if (typeof value === 'string') {
    const resolved = value.split(STAGE_VARIABLE).join(stage);
    if (/\$\{[^}]*\}/.test(resolved)) throw new Error(`serverless.yml: ${value} holds a variable the local runtime cannot resolve`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item) => resolveStage(item, stage));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveStage(item, stage)]));
  }
  return value;
};

/**
 * A pattern's CloudFormation references resolved for the local runtime: `${sls:stage}` filled in and each
 * `{Ref: <logical id>}` replaced by that resource's local value (`refs`); a Ref to anything else is refused.
 */
export const resolveReferences = (value: unknown, context: { stage: string; refs: Readonly<Record<string, string>> }): unknown => {
  const resolved = resolveStage(value, context.stage);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    const [first] = entries;
    if (entries.length === 1 && first?.[0] === 'Ref' && typeof first[1] === 'string') {
      const target = context.refs[first[1]];
      if (target === undefined) throw new Error(`serverless.yml: Ref ${first[1]} names no resource the local runtime has`);
      return target;
    }
    if (entries.some(([key]) => key === 'Ref' || key.startsWith('Fn::'))) {
      throw new Error(`serverless.yml: ${JSON.stringify(node)} is an intrinsic function the local runtime does not resolve`);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, walk(item)]));
  };
  return walk(resolved);
};

/**
 * The logical id serverless-step-functions gives a state machine (naming.getStateMachineLogicalId): its
 * `id`, else its `name`, normalised; else its key followed by `StepFunctionsStateMachine`.
 */
export const stateMachineLogicalId = (key: string, machine: { id?: unknown; name?: unknown }, stage: string): string => {
  const custom = machine.id ?? machine.name;
  return typeof custom === 'string'
    ? normalizedResourceName(String(resolveStage(custom, stage)))
    : `${normalizedResourceName(key)}StepFunctionsStateMachine`;
};

const asObject = (value: unknown, where: string): Json => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`serverless.yml: ${where} is not a mapping`);
  return value as Json;
};

const fileReference = /^\$\{file\(([^)]+)\)\}$/;

export const loadServerlessProject = (root: string): ServerlessProject => {
  const config = asObject(parseYaml(readFileSync(path.join(root, 'serverless.yml'), 'utf8')), '(root)');
  const functions = Object.entries(asObject(config['functions'], 'functions')).map(([key, value]): FunctionEntry => {
    const fn = asObject(value, `functions.${key}`);
    const handler = String(fn['handler']);
    const dot = handler.lastIndexOf('.');
    const events = Array.isArray(fn['events']) ? (fn['events'] as unknown[]) : [];
    return {
      key,
      logicalId: lambdaLogicalId(key),
      modulePath: path.join(root, `${handler.slice(0, dot)}.ts`),
      exportName: handler.slice(dot + 1),
      step: path.basename(path.dirname(handler)),
      factoryName: `create${key.charAt(0).toUpperCase()}${key.slice(1)}Handler`,
      eventPatterns: events.flatMap((event) => {
        const eventBridge = (event as { eventBridge?: { pattern?: unknown } } | null)?.eventBridge;
        return eventBridge?.pattern === undefined ? [] : [asObject(eventBridge.pattern, `functions.${key}.events[].eventBridge.pattern`)];
      }),
    };
  });
  const custom = asObject(config['custom'], 'custom');
  const doctrain = asObject(custom['doctrain'], 'custom.doctrain');
  const stages = asObject(doctrain['stages'] ?? {}, 'custom.doctrain.stages');
  const defaults = asObject(doctrain['defaults'], 'custom.doctrain.defaults');
  const resources = asObject(asObject(config['resources'], 'resources')['Resources'], 'resources.Resources');
  const tableProperties = asObject(asObject(resources['RunsTable'], 'RunsTable')['Properties'], 'RunsTable.Properties');
  const machines = asObject(asObject(config['stepFunctions'], 'stepFunctions')['stateMachines'], 'stepFunctions.stateMachines');
  const stateMachines: Record<string, Json> = Object.fromEntries(
    Object.entries(machines).map(([key, value]) => {
      const definition = asObject(value, `stateMachines.${key}`)['definition'];
      const file = typeof definition === 'string' ? fileReference.exec(definition)?.[1] : undefined;
      const loaded = file === undefined ? definition : parseYaml(readFileSync(path.join(root, file), 'utf8'));
      return [key, asObject(loaded, `stateMachines.${key}.definition`)];
    }),
  );
  return {
    root,
    functions,
    stageConfig: (stage) => ({ ...defaults, ...(stages[stage] === undefined ? {} : asObject(stages[stage], `stages.${stage}`)) }),
    tableProperties,
    stateMachines,
    stateMachine: (key, stage) => {
      const definition = stateMachines[key];
      if (definition === undefined) throw new Error(`serverless.yml has no state machine ${key}`);
      const machine = asObject(machines[key], `stateMachines.${key}`);
      const name = typeof machine['name'] === 'string' ? String(resolveStage(machine['name'], stage)) : key;
      return { key, name, logicalId: stateMachineLogicalId(key, machine, stage), definition };
    },
  };
};
