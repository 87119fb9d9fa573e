/**
 * A file that is neither a database, a WAL nor a journal: a raw disk/eMMC image (or a damaged
 * database). The windowed signature scan (src/scanning, windows run in the one WorkerPool) finds SQLite
 * headers, b-tree pages, WAL frames and journal records at any 512-byte boundary; carving
 * (src/assembly/carve) turns them into carried databases, fragments and orphan pages, decodes
 * their records once per distinct page content, and names every other place the same page was
 * seen; carved WALs and journals then go through the WAL/journal transaction logic
 * (scan-carved-logs.ts). Records keep their provenance through a `range` layer, so their image
 * offsets are absolute.
 */
import { formatOffset } from '../bytes/offsets.js';
import type { EvidenceRecord } from '../evidence/record.js';
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { carveImage, carveScannedImage } from '../assembly/carve/carve-image.js';
import { relocateToFragment } from '../assembly/carve/fragments.js';
import type { ImageScan } from '../scanning/scan-image.js';
import type { WorkerPool } from '../pool/pool.js';
import { scanCarvedLogs } from './scan-carved-logs.js';
import { reportFreedRecords } from './scan-freed.js';
import type { MainFreedKeys } from './log-freed.js';
import type { SightedRecord } from '../assembly/carve/carved-records.js';
import type { EvidenceSink } from './sink.js';

/** Sightings named in a record's reasons, at most; the count says how many more. */
const maximumSightingsNamed = 8;

function withSightings(sighted: SightedRecord): EvidenceRecord {
  const others = sighted.page.sightings.slice(1);
  if (others.length === 0) return sighted.record;
  const named = others.slice(0, maximumSightingsNamed).map((sighting) => `${sighting.carrier} page at ${formatOffset(sighting.imageOffset)}`);
  const more = others.length > maximumSightingsNamed ? ` and ${others.length - maximumSightingsNamed} more` : '';
  const reason = `same page content also seen ${others.length} more time(s): ${named.join(', ')}${more}`;
  return { ...sighted.record, confidence: { ...sighted.record.confidence, reasons: [...sighted.record.confidence.reasons, reason] } };
}

/** Returns false when the scan found nothing to report (the caller then says so). */
/**
 * Carves one raw image into the sink. `scanned`: its windowed scan from `readInputs`, which hashed
 * it alongside; without it (a file that only turned out to be an image here) it is scanned now,
 * unhashed, since its hashes were taken by a read of their own.
 */
export async function scanRawImage(file: EvidenceFile, pool: WorkerPool, sink: EvidenceSink, quiet = false, scanned?: ImageScan): Promise<boolean> {
  const carved = scanned !== undefined ? carveScannedImage(scanned) : await carveImage(file.fileSystemPath, { pool, location: file.location, hash: false, progress: { quiet } });
  try {
    const { records, schemas, issues } = carved.records();
    await sink.addIssues([...carved.issues, ...issues]);
    if (records.length === 0) {
      await scanCarvedLogs(file, carved, pool, sink);
      return carved.databases.length > 0 || carved.wals.length > 0 || carved.journals.length > 0;
    }
    await sink.addIssues([
      issue('carve.summary', 'info', filePath(file.location), 0, `${file.location}: ${carved.databases.length} database(s) carved from headers, ${carved.headerlessDatabases.length} reassembled without a header, ${carved.orphanPages.length} orphan page(s), ${carved.wals.length} WAL(s), ${carved.journals.length} journal(s); ${records.length} distinct records`),
    ]);
    const planOf = (record: EvidenceRecord) => schemas.get(record.database)?.tables.find((plan) => plan.entry.name === record.table);
    const announced = new Set<string>();
    let batch: EvidenceRecord[] = [];
    for (const sighted of records) {
      const record = sighted.record;
      const key = `${record.database}\u0000${record.table}`;
      if (!announced.has(key)) {
        if (batch.length > 0) await sink.addRecords(batch);
        batch = [];
        announced.add(key);
        const plan = planOf(record);
        await sink.addTable({
          database: record.database,
          table: record.table,
          columns: plan?.decode.columns ?? record.values.map((_, index) => `c${index}`),
          withoutRowid: plan?.decode.withoutRowid ?? false,
        });
      }
      batch.push(withSightings(sighted));
      if (batch.length >= 2048) {
        await sink.addRecords(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await sink.addRecords(batch);
    // Freed space of every database carved from its header, classified against its live rows.
    const mainFreed = new Map<string, MainFreedKeys>();
    for (const database of carved.databases) {
      mainFreed.set(database.name, await reportFreedRecords(database.reader, database.header, database.path, database.name, sink, (record) => relocateToFragment(record, database)));
    }
    // Carved WALs and journals through the WAL/journal transaction logic (scan-carved-logs.ts).
    await scanCarvedLogs(file, carved, pool, sink, mainFreed);
    return true;
  } finally {
    carved.close();
  }
}
