import { probeFiles, readRows, RELIABILITY_DOC, renderTable, writeReliabilityTable } from './table';

/**
 * After the fault suite: prints the table (probe, tried, held) and, when every probe file
 * ran, keeps it in docs/reliability.md. A partial run (one file, a -t filter) only prints.
 */
export default function teardown(): void {
  const rows = readRows();
  const table = renderTable(rows);
  const ran = new Set(rows.map((r) => r.file));
  const missing = probeFiles().filter((f) => !ran.has(f));
  process.stdout.write(`\nfault and abuse suite:\n${renderTable(rows, true)}\n`);
  if (missing.length > 0) {
    process.stdout.write(`(no rows from ${missing.join(', ')}: a partial run, or a file whose setup failed; ${RELIABILITY_DOC} not updated)\n`);
    return;
  }
  writeReliabilityTable(table);
  process.stdout.write(`(kept in ${RELIABILITY_DOC})\n`);
}
