/**
 * Lookups built from the value table (src/contracts/value-rules.ts, the JSON file the trainer reads
 * too): month names of every language, ordinal suffixes and date connectors, currency marks, identifier
 * prefixes, part qualifiers and field names. Everything is compared in `textKey` form: lowercase, accents
 * dropped, so `Août`, `AOUT` and `août` are one word.
 */
import { VALUE_RULES, type FieldNames, type ValueRules } from '../contracts/value-rules';

/** Lowercase, accents dropped (NFKD, combining marks removed); other characters kept. */
export const textKey = (text: string): string => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** textKey with everything but a-z and 0-9 removed: the form words and field names are compared in. */
export const wordKey = (text: string): string => textKey(text).replace(/[^a-z0-9]/g, '');

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A name of three letters or more that is a prefix of a month name matches when every language agrees on it. */
const MIN_MONTH_PREFIX = 3;

export interface ValueWords {
  /** `sept`, `juil.`, `März`, `ogos` -> 1..12, or undefined (not a month, or months disagree). */
  readonly monthNumber: (name: string) => number | undefined;
  /** Regex source of an ordinal suffix after a day (`3rd`, `1er`, `1º`). */
  readonly ordinalPattern: string;
  /** Regex source of a connector word between date parts (`3 de agosto de 2014`). */
  readonly connectorPattern: string;
  /** Regex source of one currency symbol. */
  readonly currencySymbolPattern: string;
  readonly currencyCodes: ReadonlySet<string>;
  /** wordKey forms of the identifier prefixes, longest first. */
  readonly identifierPrefixes: readonly string[];
  readonly partQualifiers: readonly string[];
  /** wordKey forms of the phrases naming a field: the key's own words, the table's, the user's. */
  readonly fieldNames: (field: string) => readonly string[];
}

export function valueWords(rules: ValueRules = VALUE_RULES, extraFieldNames: FieldNames = {}): ValueWords {
  const exact = new Map<string, Set<number>>();
  const full: { key: string; month: number }[] = [];
  for (const months of Object.values(rules.months)) {
    months.forEach((names, index) => {
      names.forEach((name, position) => {
        const key = wordKey(name);
        const set = exact.get(key) ?? new Set<number>();
        set.add(index + 1);
        exact.set(key, set);
        if (position === 0) full.push({ key, month: index + 1 });
      });
    });
  }
  const monthCache = new Map<string, number | undefined>();
  const monthNumber = (name: string): number | undefined => {
    const key = wordKey(name);
    if (monthCache.has(key)) return monthCache.get(key);
    let months = exact.get(key);
    if (months === undefined && key.length >= MIN_MONTH_PREFIX) {
      months = new Set(full.filter((f) => f.key.startsWith(key)).map((f) => f.month));
    }
    const found = months !== undefined && months.size === 1 ? [...months][0] : undefined;
    monthCache.set(key, found);
    return found;
  };
  const alternatives = (words: readonly string[]): string =>
    [...words]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|');
  const names = new Map<string, readonly string[]>();
  const fieldNames = (field: string): readonly string[] => {
    const cached = names.get(field);
    if (cached !== undefined) return cached;
    const own = field.split('_').filter((t) => t.length >= 3);
    const table = Object.values(rules.fieldNames[field] ?? {}).flat();
    const phrases = [...new Set([...own, ...table, ...(extraFieldNames[field] ?? [])].map(wordKey).filter((k) => k.length > 0))];
    names.set(field, phrases);
    return phrases;
  };
  return {
    monthNumber,
    ordinalPattern: alternatives(rules.dateWords.ordinalSuffixes),
    connectorPattern: alternatives(rules.dateWords.connectors),
    currencySymbolPattern: alternatives(rules.currencies.symbols),
    currencyCodes: new Set(rules.currencies.codes),
    identifierPrefixes: [...new Set(rules.identifierPrefixes.map(wordKey))].sort((a, b) => b.length - a.length),
    partQualifiers: rules.partQualifiers,
    fieldNames,
  };
}

/**
 * The day/month order of numeric dates in a locale (`en-US` month-first, `en-GB`, `de-DE`, `fr`
 * day-first), from Intl's own date format; undefined for a locale whose numeric dates start with the
 * year (`ja-JP`) or none given.
 */
export function dateOrderForLocale(locale: string | null | undefined): 'dmy' | 'mdy' | undefined {
  if (locale === null || locale === undefined) return undefined;
  const parts = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'numeric', year: 'numeric' })
    .formatToParts(new Date(Date.UTC(2014, 7, 3)))
    .map((part) => part.type)
    .filter((type) => type === 'day' || type === 'month' || type === 'year');
  if (parts[0] === 'day' && parts[1] === 'month') return 'dmy';
  if (parts[0] === 'month' && parts[1] === 'day') return 'mdy';
  return undefined;
}

/** The shipped table's words (no user additions). */
export const VALUE_WORDS: ValueWords = valueWords();
