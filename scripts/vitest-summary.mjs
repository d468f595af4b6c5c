// Prints vitest's result as the plain closing line CI reads ("vitest: N passed, N failed, N skipped").
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.doctrain/vitest-results.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
} catch (error) {
  console.log(`vitest: no results in ${file} (${error.message})`);
}
