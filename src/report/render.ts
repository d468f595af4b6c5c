/**
 * The run report: one self-contained HTML page (inline CSS, inline SVG charts, page images as data URIs,
 * no script, nothing fetched), from what src/report/load.ts read. Sections: run, state timeline,
 * training curves, per-label and per-field scores, champion comparison, cost ledger, dataset, validation
 * documents. A section whose data the run does not have says so.
 */
import { labelForField } from '../contracts/annotation';
import type { CostLedger } from '../contracts/cost-ledger';
import type { HistoryEntry } from '../contracts/model-metrics';
import type { Promotion } from '../contracts/lineage';
import type { DatasetManifest } from '../contracts/objects';
import { f1Chart, fieldExactChart, lossChart, perLabelChart, renderSvg, timelineChart } from './charts';
import { colourOf, documentSvg, entitiesOf } from './documents';
import { escapeHtml as e } from './html-escape';
import type { ReportData, ReportDocument } from './load';
import { orderedEvents, statusSpans } from './timeline';

const score = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(4));
const usd = (value: number): string => `$${value.toFixed(4)}`;

const table = (name: string, headers: readonly string[], rows: readonly (readonly string[])[]): string =>
  `<table data-table="${e(name)}"><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
  rows.map((row) => `<tr>${row.map((cell) => `<td>${e(cell)}</td>`).join('')}</tr>`).join('') +
  '</tbody></table>';

const section = (id: string, title: string, body: string): string => `<section id="${e(id)}"><h2>${e(title)}</h2>${body}</section>`;
const note = (text: string): string => `<p class="note">${e(text)}</p>`;
const figure = async (name: string, spec: Parameters<typeof renderSvg>[0]): Promise<string> =>
  `<figure class="chart" data-chart="${e(name)}">${await renderSvg(spec)}</figure>`;

const runSection = (data: ReportData): string => {
  const { run } = data;
  const rows: [string, string][] = [
    ['run', run.runId],
    ['status', run.status],
    ['model lineage', run.modelName ?? '-'],
    ['created', run.createdAt],
    ['updated', run.updatedAt],
    ['training job', run.trainingJobName ?? '-'],
    ['instance', run.instanceType === undefined ? '-' : `${run.instanceType}${run.spot ? ' (spot)' : ''}`],
    ['validation entity F1', score(run.metrics?.['val_f1'])],
    ['validation field exact', score(run.metrics?.['val_field_exact'])],
    ['model artifact', run.modelArtifactUri ?? '-'],
  ];
  if (run.failure) rows.push(['failure', `${run.failure.error}: ${run.failure.message}`]);
  if (run.retrain) rows.push(['retrain decision', `${run.retrain.decision}: ${run.retrain.reason}`]);
  return section('run', 'Run', table('run', ['', ''], rows));
};

const timelineSection = async (data: ReportData): Promise<string> => {
  const spans = statusSpans(data.events);
  if (spans.length === 0) return section('timeline', 'State timeline', note('The run has no status events.'));
  const events = orderedEvents(data.events).map((event) => [
    event.at,
    event.status,
    event.progressKey ?? '',
    `${event.seconds.toFixed(1)} s`,
    typeof event.detail?.['message'] === 'string' ? event.detail['message'] : '',
  ]);
  return section(
    'timeline',
    'State timeline',
    (await figure('timeline', timelineChart(spans))) +
      table(
        'timeline',
        ['status', 'from', 'to', 'duration'],
        spans.map((span) => [span.status, span.start, span.end, `${span.seconds.toFixed(1)} s`]),
      ) +
      `<details><summary>All ${events.length} events</summary>${table('events', ['at', 'status', 'progress', 'until next', 'message'], events)}</details>`,
  );
};

const curvesSection = async (history: readonly HistoryEntry[], best: HistoryEntry): Promise<string> =>
  section(
    'training',
    'Training curves',
    `<p>Best evaluation: epoch ${best.epoch} (step ${best.step}), entity F1 ${score(best.val_f1)}: the model written. ${history.length} evaluation(s).</p>` +
      (await figure('loss', lossChart(history, best.epoch))) +
      (await figure('f1', f1Chart(history, best.epoch))) +
      (await figure('field-exact', fieldExactChart(history, best.epoch))) +
      table(
        'epochs',
        [
          'epoch',
          'train loss',
          'val loss',
          'entity F1',
          'field exact',
          ...Object.keys(best.val_per_field).map((field) => `exact ${field}`),
        ],
        history.map((entry) => [
          `${entry.epoch}${entry.epoch === best.epoch && entry.step === best.step ? ' (best)' : ''}`,
          score(entry.train_loss),
          score(entry.val_loss),
          score(entry.val_f1),
          score(entry.val_field_exact),
          ...Object.keys(best.val_per_field).map((field) => score(entry.val_per_field[field]?.exact)),
        ]),
      ),
  );

const scoresSection = async (best: HistoryEntry): Promise<string> =>
  section(
    'scores',
    'Per-label and per-field scores (best epoch)',
    (Object.keys(best.val_per_type).length > 0 ? await figure('per-label', perLabelChart(best.val_per_type)) : '') +
      table(
        'per-label',
        ['label', 'precision', 'recall', 'F1', 'support'],
        Object.entries(best.val_per_type).map(([label, s]) => [label, score(s.precision), score(s.recall), score(s.f1), String(s.support)]),
      ) +
      table(
        'per-field',
        ['field', 'exact', 'precision', 'recall', 'F1', 'support'],
        Object.entries(best.val_per_field).map(([field, s]) => [
          field,
          score(s.exact),
          score(s.precision),
          score(s.recall),
          score(s.f1),
          String(s.support),
        ]),
      ),
  );

const promotionSection = (promotion: Promotion | undefined): string => {
  if (promotion === undefined) return section('champion', 'Champion comparison', note('No promotion decision on this run.'));
  const head = `<p class="decision decision-${e(promotion.decision)}">${e(promotion.decision)} (${e(promotion.rule)}): ${e(promotion.reason)}</p>`;
  if (promotion.champion === null) return section('champion', 'Champion comparison', head + note('There was no champion to compare with.'));
  const champion = promotion.champion;
  const fields = [...new Set([...Object.keys(promotion.challenger.fields), ...Object.keys(champion.fields)])].sort();
  return section(
    'champion',
    'Champion comparison',
    head +
      table(
        'champion',
        ['', 'challenger (this run)', `champion (${champion.runId})`, 'delta'],
        [
          [
            'entity F1',
            score(promotion.challenger.entityF1),
            score(champion.entityF1),
            score(promotion.challenger.entityF1 - champion.entityF1),
          ],
          ...fields.map((field) => [
            `exact ${field}${promotion.regressions.includes(field) ? ' (regression)' : ''}`,
            score(promotion.challenger.fields[field]),
            score(champion.fields[field]),
            score(promotion.fieldDeltas[field]),
          ]),
        ],
      ) +
      `<p>Margin ${promotion.margin}, per-field tolerance ${promotion.tolerance}; champion before ${e(promotion.championBefore ?? '-')}, after ${e(promotion.championAfter ?? '-')}.</p>`,
  );
};

/** What a spot line would have cost on demand: the training seconds at the on-demand price. */
const onDemandUsd = (line: CostLedger['training'][number]): number | undefined =>
  line.usdPerHour === null ? undefined : (line.trainingSeconds / 3600) * line.usdPerHour * line.instanceCount;

const costSection = (cost: CostLedger | undefined): string => {
  if (cost === undefined) return section('cost', 'Cost ledger', note('No cost ledger on this run.'));
  const saved = cost.training.reduce((sum, line) => sum + Math.max(0, (onDemandUsd(line) ?? line.usd) - line.usd), 0);
  return section(
    'cost',
    'Cost ledger',
    table(
      'cost',
      ['item', 'detail', 'USD'],
      [
        ...cost.training.map((line) => [
          line.jobName,
          `${line.instanceType}${line.instanceCount > 1 ? ` x${line.instanceCount}` : ''}${line.spot ? ' spot' : ' on-demand'}: ` +
            `${line.billableSeconds} s billed (${line.billable}) of ${line.trainingSeconds} s training` +
            `${line.spot ? `, spot saving ${line.spotSavingsPercent}%` : ''}${line.usdPerHour === null ? ', no price' : ` at ${usd(line.usdPerHour)}/h`}`,
          usd(line.usd),
        ]),
        ['textract', `${cost.textract.pages} pages at ${usd(cost.textract.usdPerPage)}`, usd(cost.textract.usd)],
        [
          'orchestration',
          `${cost.orchestration.polls} polls, ${cost.orchestration.transitions} transitions, ${cost.orchestration.lambdaRequests} Lambda requests`,
          usd(cost.orchestration.usd),
        ],
        ['total', `${cost.stage} ledger at ${cost.at}; ${cost.prices.region} list prices of ${cost.prices.asOf}`, usd(cost.totalUsd)],
        ['spot savings', 'training seconds at the on-demand price, less what was billed', usd(saved)],
        ...(cost.budgetUsd === null ? [] : [['budget', cost.budgetExceeded ? 'EXCEEDED' : 'within', usd(cost.budgetUsd)]]),
      ],
    ),
  );
};

const countBy = <T>(items: readonly T[], key: (item: T) => string): [string, string][] => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, String(n)]);
};

const datasetSection = (manifest: DatasetManifest | undefined): string => {
  if (manifest === undefined) return section('dataset', 'Dataset', note('No dataset manifest for this run.'));
  const c = manifest.counts;
  const unaligned = manifest.unaligned.flatMap((doc) => doc.fields);
  return section(
    'dataset',
    'Dataset',
    table(
      'dataset',
      ['', ''],
      [
        ['fingerprint', manifest.fingerprint],
        ['documents', String(c.documents)],
        ['pages (records)', String(c.pages)],
        ['train / validation documents', `${c.train} / ${c.validation}`],
        ['words', String(c.words)],
        ['quarantined', String(c.quarantined)],
        ['unaligned values', String(c.unalignedValues)],
        ['documents without entities', String(c.documentsWithoutEntities)],
        ['OCR cache hits', String(manifest.ocrCacheHits)],
        ['Textract pages billed', String(manifest.textractPagesBilled)],
      ],
    ) +
      '<h3>Quarantined documents</h3>' +
      (manifest.quarantined.length === 0
        ? note('None.')
        : table(
            'quarantined',
            ['document', 'reason'],
            manifest.quarantined.map((q) => [q.documentKey, q.reason]),
          )) +
      '<h3>Unaligned fields by reason</h3>' +
      (unaligned.length === 0
        ? note('None: every annotated value labelled OCR words.')
        : table(
            'unaligned',
            ['reason', 'values'],
            countBy(unaligned, (u) => u.reason),
          ) +
          table(
            'unaligned-fields',
            ['field', 'reason', 'values'],
            countBy(unaligned, (u) => `${u.field}\u0000${u.reason}`).map(([k, n]) => [...k.split('\u0000'), n]),
          )) +
      '<h3>Labels</h3>' +
      table(
        'labels',
        ['label', 'words', 'entities aligned', 'of which OCR-tolerant', 'entities unaligned'],
        Object.entries(manifest.labelCounts).map(([label, words]) => {
          const entity = manifest.entityCounts[label.replace(/^[BI]-/, '')];
          const first = label.startsWith('B-') && entity !== undefined;
          return [
            label,
            String(words),
            first ? String(entity.aligned) : '',
            first ? String(entity.ocrTolerant) : '',
            first ? String(entity.unaligned) : '',
          ];
        }),
      ),
  );
};

/** A document's fields: the annotated value and, when the model's tags are known, the words it tagged. */
const fieldRows = (doc: ReportDocument): string[][] => {
  const annotated = Object.entries(doc.record.fields ?? {}).map(([key, value]) => [key, Array.isArray(value) ? value.join(' | ') : value]);
  if (doc.predictedLabels === undefined) return annotated;
  const predicted = new Map<string, string[]>();
  for (const entity of entitiesOf(doc.predictedLabels, doc.record.words, doc.record.bboxes)) {
    predicted.set(entity.type, [...(predicted.get(entity.type) ?? []), entity.text]);
  }
  return annotated.map(([key = '', value = '']) => [key, value, (predicted.get(labelForField(key)) ?? []).join(' | ') || '-']);
};

const documentsSection = (documents: readonly ReportDocument[]): string => {
  if (documents.length === 0) return section('documents', 'Validation documents', note('No validation documents to draw.'));
  const types = [
    ...new Set(
      documents.flatMap((d) =>
        [
          ...entitiesOf(d.record.labels, d.record.words, d.record.bboxes),
          ...entitiesOf(d.predictedLabels ?? [], d.record.words, d.record.bboxes),
        ].map((x) => x.type),
      ),
    ),
  ].sort();
  const legend = `<p class="legend">${types.map((t) => `<span style="border-color:${colourOf(types, t)}">${e(t)}</span>`).join(' ')}</p>`;
  const withPredictions = documents.filter((doc) => doc.predictedLabels !== undefined).length;
  const cards = documents.map((doc) => {
    const fields = fieldRows(doc);
    const header =
      doc.predictedLabels === undefined ? ['field', 'annotated value'] : ['field', 'annotated value', 'predicted (words tagged)'];
    return (
      `<div class="doc-card" data-document="${e(doc.record.id)}"><h3>${e(doc.record.id)}</h3>` +
      documentSvg(doc.record, doc.imageDataUri, types, doc.predictedLabels) +
      (doc.imageDataUri === undefined ? note('No page image in S3 for this page: drawn on a blank page.') : '') +
      (fields.length > 0 ? table('document-fields', header, fields) : '') +
      '</div>'
    );
  });
  return section(
    'documents',
    'Validation documents',
    note(
      'Filled boxes: the true fields, as the dataset labelled the OCR words (aligned annotations). ' +
        (withPredictions > 0
          ? `Dashed boxes: what the model predicted on the same words (its predictions.json; ${withPredictions} of ${documents.length} pages).`
          : 'Predicted fields are not drawn: the model artifact has no predictions.json (a model trained before the trainer wrote one), or it does not cover these pages.'),
    ) +
      legend +
      `<div class="docs">${cards.join('')}</div>`,
  );
};

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",DejaVu Sans,sans-serif;margin:0 auto;max-width:1180px;padding:16px 24px;color:#222}
h1{margin:0 0 4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td:nth-child(n+2){font-variant-numeric:tabular-nums}
figure.chart{display:inline-block;margin:6px 12px 6px 0}.note{color:#666;font-style:italic}
.docs{display:flex;flex-wrap:wrap;gap:16px}.doc-card{flex:0 1 360px}.doc-card svg.document{width:100%;height:auto;border:1px solid #ccc}
.legend span{border-left:12px solid;padding:0 8px 0 4px;margin-right:6px;font-size:13px}
.decision{font-weight:bold}.decision-rejected{color:#b00}.decision-promoted{color:#070}
header p{margin:2px 0;color:#555}`;

/** The report page of a run. */
export const renderReport = async (data: ReportData): Promise<string> => {
  const history = data.modelMetrics?.history ?? [];
  const best = data.modelMetrics?.final;
  const body = [
    runSection(data),
    await timelineSection(data),
    best === undefined
      ? section('training', 'Training curves', note('No model metrics: the run has no trained model.'))
      : await curvesSection(history, best),
    best === undefined ? '' : await scoresSection(best),
    promotionSection(data.run.promotion),
    costSection(data.run.cost),
    datasetSection(data.manifest),
    documentsSection(data.documents),
    data.notes.length === 0 ? '' : section('notes', 'Not in this report', `<ul>${data.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`),
  ].join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>doctrain run ${e(data.run.runId)}: ${e(data.run.status)}</title><style>${STYLE}</style></head><body>` +
    `<header><h1>doctrain run ${e(data.run.runId)}</h1><p>${e(data.run.status)} · report generated ${e(data.generatedAt)}</p></header>\n` +
    `${body}\n</body></html>\n`
  );
};
