/**
 * Text normalisation for alignment: case, diacritics, punctuation and currency symbols are ignored,
 * so "$8.32", "8,32" and "8.32" all become "832", and "St," becomes "st".
 */
export function normalizeToken(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** OCR confusions between letters and digits, applied only when the expected value is numeric. */
const DIGIT_LOOKALIKES: Readonly<Record<string, string>> = { o: '0', d: '0', q: '0', i: '1', l: '1', z: '2', s: '5', b: '8', g: '9' };

export function asDigits(normalized: string): string {
  // A currency code or prefix glued to the amount ("rm8.32", "usd12") is not part of the value.
  const stripped = /^[a-z]{1,3}(?=[0-9])/.test(normalized) ? normalized.replace(/^[a-z]{1,3}/, '') : normalized;
  return stripped.replace(/[a-z]/g, (c) => DIGIT_LOOKALIKES[c] ?? c);
}

export function isNumeric(normalized: string): boolean {
  return /^[0-9]+$/.test(normalized);
}

/** Levenshtein distance with a single rolling row. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** 1 - distance / longer length: 1 is identical, 0 is nothing in common. */
export function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - levenshtein(a, b) / longer;
}

/** Code-unit order: the same on every machine, unlike localeCompare (fingerprints and splits depend on it). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
