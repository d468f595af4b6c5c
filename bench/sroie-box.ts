/**
 * The ground truth of a SROIE `box/NNN.csv` (ICDAR 2015 lines) and the OCR measures taken against it, shared
 * by bench:ocr and bench:sroie so both report the same word recall and CER.
 */
export interface PageText {
  /** Words as the engine returned them. */
  words: string[];
  /** Lines in reading order. */
  lines: string[];
}

/** `x1,y1,...,y4,transcript` (ICDAR 2015); the transcript may contain commas. */
export const parseBoxCsv = (csv: string): PageText => {
  const rows: { top: number; left: number; text: string }[] = [];
  for (const raw of csv.split(/\r?\n/)) {
    const parts = raw.split(',');
    if (parts.length < 9) continue;
    const coords = parts.slice(0, 8).map(Number);
    if (coords.some((c) => !Number.isFinite(c))) continue;
    const text = parts.slice(8).join(',').trim();
    if (text.length === 0) continue;
    const ys = [coords[1], coords[3], coords[5], coords[7]].map((v) => v ?? 0);
    const xs = [coords[0], coords[2], coords[4], coords[6]].map((v) => v ?? 0);
    rows.push({ top: Math.min(...ys), left: Math.min(...xs), text });
  }
  rows.sort((a, b) => a.top - b.top || a.left - b.left);
  const lines = rows.map((r) => r.text);
  return { lines, words: lines.flatMap(splitWords) };
};

export const splitWords = (line: string): string[] => line.split(/\s+/).filter((w) => w.length > 0);

/** How many of `truth` find a distinct equal word in `ocr` (multiset intersection size). */
export const matchedWords = (truth: readonly string[], ocr: readonly string[]): number => {
  const available = new Map<string, number>();
  for (const w of ocr) available.set(w, (available.get(w) ?? 0) + 1);
  let hits = 0;
  for (const w of truth) {
    const left = available.get(w) ?? 0;
    if (left > 0) {
      hits += 1;
      available.set(w, left - 1);
    }
  }
  return hits;
};

export const pageString = (lines: readonly string[]): string => lines.join(' ').replace(/\s+/g, ' ').trim();
