/**
 * The `[metric]` line contract (src/contracts/metric-line.ts): the MetricDefinitions derived from a label
 * list, and, run against the Python trainer in the project venv, the field naming rule
 * (metrics.split_tag, fields.field_key, evaluation._metric_name) and the regexes on `metric_line`'s own
 * output, read both by Python's `re` and by the local SageMaker's parser.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileMetricRegex } from '../../../local/sagemaker/validate';
import {
  CHAMPION_CORE_METRICS,
  CORE_METRICS,
  METRIC_DEFINITION_LIMITS,
  entityTypeOfLabel,
  fieldMetricName,
  metricDefinitionsForClasses,
  metricDefinitionsForLabels,
  metricRegex,
  type MetricDefinition,
} from '../../../src/contracts/metric-line';
import { bioLabels } from '../../../src/dataset/build';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = process.env['DOCTRAIN_PYTHON'] ?? path.join(ROOT, '.venv', 'bin', 'python');

const SCRIPT = `
import json, re, sys
from doctrain_trainer.evaluation import _metric_name, champion_metric_line, metric_line
from doctrain_trainer.fields import field_key
from doctrain_trainer.metrics import split_tag
request = json.load(sys.stdin)
names = [_metric_name(field_key(split_tag(label)[1])) for label in request["labels"]]
line = metric_line(request["entry"])
scores = ("val_f1", "val_precision", "val_recall", "val_field_exact", "val_per_field")
champion = champion_metric_line({"comparable": True, "reason": None, **{k: request["entry"][k] for k in scores}})
def read(text):
    found = {}
    for d in request["definitions"]:
        match = re.search(d["Regex"], text)
        found[d["Name"]] = None if match is None else float(match.group(1))
    return found
print(json.dumps({"names": names, "line": line, "found": read(line), "champion": champion, "championFound": read(champion)}))
`;

interface PythonAnswer {
  /** The trainer's metric name of each label's field. */
  names: string[];
  /** metric_line(entry). */
  line: string;
  /** Each definition's value read by Python's re.search from that line (null: no match). */
  found: Record<string, number | null>;
  /** champion_metric_line of the same scores, as the trainer prints it after the challenger's last line. */
  champion: string;
  /** Each definition's value read by Python's re.search from the champion line. */
  championFound: Record<string, number | null>;
}

const runPython = async (request: { labels: string[]; entry: unknown; definitions: MetricDefinition[] }): Promise<PythonAnswer> => {
  const child = promisify(execFile)(PYTHON, ['-c', SCRIPT], { cwd: path.join(ROOT, 'training-image') });
  child.child.stdin?.end(JSON.stringify(request));
  const { stdout } = await child;
  return JSON.parse(stdout) as PythonAnswer;
};

/** A history entry as train.py hands it to metric_line, with these per-field exact shares. */
const entry = (exact: Record<string, number>) => ({
  epoch: 3,
  step: 120,
  train_loss: 0.2134,
  val_loss: 0.3011,
  val_precision: 0.9012,
  val_recall: 0.889,
  val_f1: 0.895,
  val_field_exact: 0.8125,
  val_field_f1: 0.8333,
  val_per_field: Object.fromEntries(Object.entries(exact).map(([key, value]) => [key, { exact: value }])),
});

/** What the local SageMaker reads from a line (local/sagemaker/job.ts onLine). */
const readLocally = (definitions: readonly MetricDefinition[], line: string): Record<string, number | null> =>
  Object.fromEntries(
    definitions.map((d) => {
      const value = compileMetricRegex(d.Regex).exec(line)?.[1];
      return [d.Name, value === undefined ? null : Number.parseFloat(value)];
    }),
  );

const names = (definitions: readonly MetricDefinition[]): string[] => definitions.map((d) => d.Name);
const CORE = [...CORE_METRICS, ...CHAMPION_CORE_METRICS];

describe('the [metric] line contract', () => {
  it('derives the SROIE fields, each with its champion figure, after the core metrics', () => {
    // Act
    const { metricDefinitions, metricFieldsOmitted } = metricDefinitionsForLabels(bioLabels(['company', 'address', 'date', 'total']));
    // Assess: fields in the label list's order (labels.json is sorted).
    expect(names(metricDefinitions)).toEqual([
      'train_loss',
      'val_loss',
      'val_precision',
      'val_recall',
      'val_f1',
      'val_field_exact',
      'val_field_f1',
      'champion_comparable',
      'champion_val_f1',
      'champion_val_field_exact',
      ...['address', 'company', 'date', 'total'].flatMap((f) => [`val_exact_${f}`, `champion_val_exact_${f}`]),
    ]);
    expect(metricFieldsOmitted).toEqual([]);
    expect(metricDefinitions.find((d) => d.Name === 'val_f1')?.Regex).toBe('(?:^|\\s)val_f1=([0-9.]+)');
  });

  it("derives FUNSD's question/answer/header and a Ground Truth job's total_amount from their labels", () => {
    // Act
    const funsd = metricDefinitionsForLabels(['O', 'B-QUESTION', 'I-QUESTION', 'B-ANSWER', 'I-ANSWER', 'B-HEADER', 'I-HEADER']);
    const groundTruth = metricDefinitionsForLabels(bioLabels(['total_amount', 'vendor']));
    // Assess
    expect(names(funsd.metricDefinitions).slice(CORE.length)).toEqual([
      'val_exact_question',
      'champion_val_exact_question',
      'val_exact_answer',
      'champion_val_exact_answer',
      'val_exact_header',
      'champion_val_exact_header',
    ]);
    expect(names(groundTruth.metricDefinitions).slice(CORE.length)).toEqual([
      'val_exact_total_amount',
      'champion_val_exact_total_amount',
      'val_exact_vendor',
      'champion_val_exact_vendor',
    ]);
  });

  it("stops at SageMaker's 40 definitions with 30 fields and reports the 15 fields left out, in order", () => {
    // Prepare
    const fields = Array.from({ length: 30 }, (_, i) => `field_${String(i).padStart(2, '0')}`);
    // Act
    const { metricDefinitions, metricFieldsOmitted } = metricDefinitionsForLabels(bioLabels(fields));
    // Assess
    expect(metricDefinitions).toHaveLength(METRIC_DEFINITION_LIMITS.maxDefinitions);
    expect(names(metricDefinitions).slice(0, CORE.length)).toEqual(CORE);
    expect(names(metricDefinitions).at(-1)).toBe('champion_val_exact_field_14');
    expect(metricFieldsOmitted).toEqual(fields.slice(15));
  });

  it('leaves out, and reports, a field whose champion metric name would pass the 255 characters of a Name', () => {
    // Prepare
    const fitting = 'a'.repeat(METRIC_DEFINITION_LIMITS.maxNameLength - 'champion_val_exact_'.length);
    // Act
    const { metricDefinitions, metricFieldsOmitted } = metricDefinitionsForLabels(bioLabels([fitting, `${fitting}b`, 'total']));
    // Assess
    expect(names(metricDefinitions)).toContain(`champion_val_exact_${fitting}`);
    expect(names(metricDefinitions)).toContain('val_exact_total');
    expect(metricFieldsOmitted).toEqual([`${fitting}b`]);
  });

  it('anchors each regex on the name: val_f1 does not read champion_val_f1, val_exact_total not val_exact_total_amount', () => {
    // Prepare: the champion line as the trainer prints it, and an evaluation line whose fields share a prefix.
    const champion = 'champion_comparable=1 champion_val_f1=0.5000 champion_val_exact_total=0.2500 champion_val_exact_total_amount=0.1250';
    const line = '[metric] epoch=1 step=2 val_f1=0.9000 val_exact_total_amount=0.7500 val_exact_total=0.6250';
    const read = (name: string, text: string): string | undefined => new RegExp(metricRegex(name)).exec(text)?.[1];
    // Assess
    expect(read('val_f1', champion)).toBeUndefined();
    expect(read('champion_val_f1', champion)).toBe('0.5000');
    expect(read('val_exact_total', champion)).toBeUndefined();
    expect(read('champion_val_exact_total', champion)).toBe('0.2500');
    expect(read('val_f1', line)).toBe('0.9000');
    expect(read('val_exact_total', line)).toBe('0.6250');
    expect(read('val_exact_total_amount', line)).toBe('0.7500');
    expect(read('train_loss', line)).toBeUndefined();
  });

  it("names fields exactly as the Python trainer does, and every regex reads the trainer's own line (Python re and the local SageMaker)", async () => {
    // Prepare: entity types that exercise the rule (case, separators, digits, non-ASCII letters and marks).
    const types = ['TOTAL_AMOUNT', 'TOTAL', 'UNIT-PRICE', 'A.B C', 'ZIP2', 'ΟΔΟΣ', 'İL', 'PRÉNOM', 'Q½', 'ﬁELD'];
    const labels = ['O', ...types.flatMap((t) => [`B-${t}`, `I-${t}`])];
    const tsNames = labels.map((label) => fieldMetricName(entityTypeOfLabel(label) ?? ''));
    const { metricDefinitions } = metricDefinitionsForLabels(labels);
    // Per-field exact shares keyed as the trainer keys them (field_key: lowercased), total_amount before total.
    const exact = Object.fromEntries(types.map((t, i) => [t.toLowerCase(), (i + 1) / 16]));
    // Act
    const python = await runPython({ labels, entry: entry(exact), definitions: metricDefinitions });
    // Assess: the same names for every label ('O' included: no field)...
    expect(tsNames).toEqual(python.names);
    expect(new Set(tsNames)).toContain('unit_price');
    expect(new Set(tsNames)).toContain('οδος');
    // ...and each evaluation-line definition reads its value from the real line, in Python and locally.
    const expected: Record<string, number> = {
      train_loss: 0.2134,
      val_loss: 0.3011,
      val_precision: 0.9012,
      val_recall: 0.889,
      val_f1: 0.895,
      val_field_exact: 0.8125,
      val_field_f1: 0.8333,
      ...Object.fromEntries(types.map((t, i) => [`val_exact_${fieldMetricName(t)}`, Number(((i + 1) / 16).toFixed(4))])),
    };
    const evaluationLine = metricDefinitions.filter((d) => !d.Name.startsWith('champion_'));
    expect(evaluationLine).toHaveLength(Object.keys(expected).length);
    const local = readLocally(metricDefinitions, python.line);
    for (const d of evaluationLine) {
      expect(python.found[d.Name], `${d.Name} (Python) in ${python.line}`).toBe(expected[d.Name]);
      expect(local[d.Name], `${d.Name} (local SageMaker)`).toBe(expected[d.Name]);
    }
    // The champion definitions read nothing from an evaluation line, and read the trainer's champion line...
    const championLocal = readLocally(metricDefinitions, python.champion);
    const championDefinitions = metricDefinitions.filter((m) => m.Name.startsWith('champion_'));
    expect(championDefinitions.length).toBeGreaterThan(types.length);
    for (const d of championDefinitions) {
      expect(python.found[d.Name], d.Name).toBeNull();
      expect(local[d.Name], d.Name).toBeNull();
      const value = d.Name === 'champion_comparable' ? 1 : expected[d.Name.slice('champion_'.length)];
      expect(python.championFound[d.Name], `${d.Name} (Python) in ${python.champion}`).toBe(value);
      expect(championLocal[d.Name], `${d.Name} (local SageMaker)`).toBe(value);
    }
    // ...where no challenger definition finds its value.
    for (const d of evaluationLine) expect(python.championFound[d.Name], d.Name).toBeNull();
  }, 60_000);
});

const CLASS_SCRIPT = `
import json, re, sys
from doctrain_trainer.classification import class_champion_metric_line, class_metric_line
request = json.load(sys.stdin)
line = class_metric_line(request["entry"])
champion = class_champion_metric_line({"comparable": True, **{k: request["entry"][k] for k in ("val_macro_f1", "val_accuracy", "val_per_class")}})
def read(text):
    return {d["Name"]: (None if (m := re.search(d["Regex"], text)) is None else float(m.group(1))) for d in request["definitions"]}
print(json.dumps({"line": line, "found": read(line), "championFound": read(champion)}))
`;

describe('the classifier metric line (task classification)', () => {
  it("reads every MetricDefinition of a class list from the trainer's own lines, challenger and champion", async () => {
    // Prepare: a classifier's history entry (classification.class_metrics_entry) for two classes.
    const classes = ['invoice', 'purchase_order'];
    const scores = {
      invoice: { precision: 0.9, recall: 0.8, f1: 0.85, support: 5 },
      purchase_order: { precision: 0.7, recall: 0.6, f1: 0.65, support: 3 },
    };
    const classEntry = {
      epoch: 2,
      step: 9,
      train_loss: 0.5,
      val_loss: 0.4,
      val_accuracy: 0.75,
      val_macro_f1: 0.75,
      val_documents: 8,
      val_per_class: scores,
    };
    const { metricDefinitions } = metricDefinitionsForClasses(classes);
    // Act
    const child = promisify(execFile)(PYTHON, ['-c', CLASS_SCRIPT], { cwd: path.join(ROOT, 'training-image') });
    child.child.stdin?.end(JSON.stringify({ entry: classEntry, definitions: metricDefinitions }));
    const answer = JSON.parse((await child).stdout) as {
      found: Record<string, number | null>;
      championFound: Record<string, number | null>;
    };
    // Assess: the challenger's line gives every non-champion figure, the champion's line the champion ones.
    expect(answer.found).toMatchObject({
      val_accuracy: 0.75,
      val_macro_f1: 0.75,
      val_recall_invoice: 0.8,
      val_precision_purchase_order: 0.7,
      champion_val_macro_f1: null,
    });
    expect(answer.championFound).toMatchObject({
      champion_comparable: 1,
      champion_val_macro_f1: 0.75,
      champion_val_recall_purchase_order: 0.6,
      val_recall_invoice: null,
    });
    for (const definition of metricDefinitions) {
      expect(answer.found[definition.Name] ?? answer.championFound[definition.Name], definition.Name).not.toBeNull();
    }
  }, 60_000);
});
