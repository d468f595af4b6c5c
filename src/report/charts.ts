/**
 * The report's charts as Vega-Lite specs, compiled by vega-lite and rendered to static SVG by vega in
 * Node (`renderer: 'none'`, View.toSVG): no browser, no canvas, no script in the page.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { HistoryEntry } from '../contracts/model-metrics';
import type { TimelineSpan } from './timeline';

const WIDTH = 520;
const HEIGHT = 220;

/** Renders a Vega-Lite spec to an SVG document string. */
export const renderSvg = async (spec: TopLevelSpec): Promise<string> => {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

interface Point {
  epoch: number;
  series: string;
  value: number;
}

/** Lines per series over the epochs, the best epoch as a dashed rule with its label. */
const epochChart = (title: string, points: Point[], bestEpoch: number, yTitle: string, unitInterval: boolean): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  width: WIDTH,
  height: HEIGHT,
  layer: [
    {
      data: { values: points },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: yTitle, ...(unitInterval ? { scale: { domain: [0, 1] } } : {}) },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    {
      data: { values: [{ epoch: bestEpoch, label: `best: epoch ${bestEpoch}` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'bottom', color: '#444' },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    },
  ],
});

const series = (history: readonly HistoryEntry[], pick: Record<string, (entry: HistoryEntry) => number | undefined>): Point[] =>
  history.flatMap((entry) =>
    Object.entries(pick).flatMap(([name, value]) => {
      const v = value(entry);
      return v === undefined ? [] : [{ epoch: entry.epoch, series: name, value: v }];
    }),
  );

export const lossChart = (history: readonly HistoryEntry[], bestEpoch: number): TopLevelSpec =>
  epochChart(
    'Loss per epoch',
    series(history, { 'train loss': (e) => e.train_loss, 'validation loss': (e) => e.val_loss }),
    bestEpoch,
    'loss',
    false,
  );

export const f1Chart = (history: readonly HistoryEntry[], bestEpoch: number): TopLevelSpec =>
  epochChart(
    'Validation scores per epoch',
    series(history, {
      'entity F1': (e) => e.val_f1,
      precision: (e) => e.val_precision,
      recall: (e) => e.val_recall,
      'field exact': (e) => e.val_field_exact,
    }),
    bestEpoch,
    'score',
    true,
  );

export const fieldExactChart = (history: readonly HistoryEntry[], bestEpoch: number): TopLevelSpec => {
  const fields = [...new Set(history.flatMap((entry) => Object.keys(entry.val_per_field)))].sort();
  return epochChart(
    'Per-field exact match per epoch',
    series(history, Object.fromEntries(fields.map((field) => [field, (e: HistoryEntry) => e.val_per_field[field]?.exact]))),
    bestEpoch,
    'exact-match share',
    true,
  );
};

/** The states as bars on a time axis (a Gantt chart), each labelled with its duration. */
export const timelineChart = (spans: readonly TimelineSpan[]): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'State timeline',
  width: WIDTH,
  data: { values: spans.map((span) => ({ ...span, label: `${span.seconds.toFixed(1)} s` })) },
  encoding: {
    y: { field: 'status', type: 'nominal', sort: null, title: null },
  },
  layer: [
    {
      mark: { type: 'bar', minBandSize: 2, cornerRadius: 2 },
      encoding: {
        x: { field: 'start', type: 'temporal', title: 'time (UTC)', axis: { format: '%H:%M:%S' }, scale: { type: 'utc' } },
        x2: { field: 'end' },
        color: { field: 'status', type: 'nominal', legend: null },
      },
    },
    {
      mark: { type: 'text', align: 'left', dx: 4 },
      encoding: { x: { field: 'end', type: 'temporal', scale: { type: 'utc' } }, text: { field: 'label' } },
    },
  ],
});

/** Precision, recall and F1 per entity label of the best evaluation, as grouped bars. */
export const perLabelChart = (perType: Record<string, { precision: number; recall: number; f1: number }>): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'Per-label scores (best epoch)',
  width: WIDTH,
  height: HEIGHT,
  data: {
    values: Object.entries(perType).flatMap(([label, s]) => [
      { label, score: 'precision', value: s.precision },
      { label, score: 'recall', value: s.recall },
      { label, score: 'F1', value: s.f1 },
    ]),
  },
  mark: 'bar',
  encoding: {
    x: { field: 'label', type: 'nominal', title: null },
    xOffset: { field: 'score', type: 'nominal' },
    y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'score' },
    color: { field: 'score', type: 'nominal', title: null },
  },
});
