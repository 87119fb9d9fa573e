/**
 * WALs and rollback journals carved from a raw image, through the same transaction logic as log
 * files (scan-wal.ts, scan-journal.ts): checksum chains, salts, generations, commits, nonces,
 * every page image decoded (live cells and freed space), statuses against the committed view,
 * row events in transactions.csv. Each carved log is an evidence item whose bytes are a range of
 * the image (`EvidenceFile.extent`), so its provenance starts `file:<image> > range@…` and every
 * record's image offset is absolute.
 *
 * Which database a carved log belongs to is not written in it. The choice: a database carved from
 * its header, stored in one piece, with the log's page size, the nearest one before the log in
 * the image (a file system usually puts a -wal or -journal after its database), else the nearest
 * after it. A fragmented database is not used as a base (its pages are not one range): its schema
 * still names the log's tables, by record shape. The choice is reported (`carve.log-database`).
 * Logs whose header is lost go through the same logic: WAL frames the scanner linked by salts and
 * checksums (a `WalFragment`) are decoded as generations without a header (`wal.header.lost`:
 * page size and checksum byte order from the frames, the first frame's checksum taken as given,
 * every frame invisible to SQLite); journal records after a zeroed header (PERSIST mode) as the
 * journal that header starts. What cannot be read so (frames within 32 bytes of the image start,
 * journal records with no header before them) is listed (`carve.log-fragments-not-decoded`).
 */
import { formatOffset } from '../bytes/offsets.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { extendPath } from '../provenance/path.js';
import type { CarvedDatabase, CarvedJournal, JournalFragment, WalFragment } from '../assembly/carve/carriers.js';
import type { CarvedImage } from '../assembly/carve/carve-image.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { openEvidence } from '../sources/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import { describeDatabase, tableDescriptor } from './scan-database.js';
import { scanJournal } from './scan-journal.js';
import type { LogDatabase, SchemaHint } from './scan-log.js';
import { hintFromSummary } from './scan-log.js';
import type { PrepareWalOptions } from './scan-wal.js';
import { prepareWal } from './scan-wal.js';
import type { MainFreedKeys } from './log-freed.js';
import type { EvidenceSink } from './sink.js';

interface Candidate {
  readonly carved: CarvedDatabase;
  /** Usable as the log's base (one piece), else only its schema. */
  readonly database: LogDatabase | undefined;
  readonly hint: SchemaHint | undefined;
}

function itemOf(image: EvidenceFile, location: string, start: number, sizeInBytes: number, path: SourcePath): EvidenceFile {
  return { location, fileSystemPath: image.fileSystemPath, sizeInBytes, extent: { start, path } };
}

/** The carved database a log at `imageOffset` with `pageSize` most likely belongs to. */
function databaseFor(candidates: readonly Candidate[], imageOffset: number, pageSize: number | undefined): Candidate | undefined {
  const fitting = candidates.filter((candidate) => pageSize === undefined || candidate.carved.pageSize === pageSize);
  const before = fitting.filter((candidate) => candidate.carved.imageOffset < imageOffset).sort((a, b) => b.carved.imageOffset - a.carved.imageOffset);
  const after = fitting.filter((candidate) => candidate.carved.imageOffset > imageOffset).sort((a, b) => a.carved.imageOffset - b.carved.imageOffset);
  return before[0] ?? after[0];
}

/** The WAL header would be 32 bytes before a fragment's first frame: the fragment is read as a WAL from there. */
const walHeaderSizeInBytes = 32;

/** A WAL fragment read as a WAL whose first 32 bytes (not its header) are skipped; undefined too near the image start. */
function walFragmentItem(image: EvidenceFile, fragment: WalFragment): EvidenceFile | undefined {
  const start = fragment.imageOffset - walHeaderSizeInBytes;
  const imagePath = fragment.path.parent;
  if (start < 0 || imagePath === null) return undefined;
  const sizeInBytes = fragment.sizeInBytes + walHeaderSizeInBytes;
  return itemOf(image, `${image.location}@wal-fragment-${formatOffset(fragment.imageOffset)}`, start, sizeInBytes, extendPath(imagePath, { kind: 'range', start, length: sizeInBytes }));
}

/**
 * Journal records after a zeroed header, read as the journal that header starts (the carver joins
 * records that follow one another, leftovers of earlier transactions with another nonce too);
 * undefined without such a header.
 */
function journalFragmentItem(image: EvidenceFile, fragment: JournalFragment): EvidenceFile | undefined {
  const start = fragment.zeroedHeaderImageOffset;
  const imagePath = fragment.path.parent;
  if (start === undefined || imagePath === null) return undefined;
  const sizeInBytes = fragment.imageOffset + fragment.sizeInBytes - start;
  return itemOf(image, `${image.location}@journal-${formatOffset(start)}`, start, sizeInBytes, extendPath(imagePath, { kind: 'range', start, length: sizeInBytes }));
}

/** Decodes every carved WAL and journal, and the fragments that can be read as one (their transactions go to the sink as each log is decoded). */
export async function scanCarvedLogs(image: EvidenceFile, carved: CarvedImage, pool: WorkerPool, sink: EvidenceSink, mainFreed: ReadonlyMap<string, MainFreedKeys> = new Map()): Promise<void> {
  const walFragments = carved.walFragments.map((fragment) => ({ fragment, file: walFragmentItem(image, fragment) }));
  const journalFragments = carved.journalFragments.map((fragment) => ({ fragment, file: journalFragmentItem(image, fragment) }));
  const listed = { wal: walFragments.filter((item) => item.file === undefined).length, journal: journalFragments.filter((item) => item.file === undefined).length };
  if (carved.wals.length + carved.journals.length + walFragments.length + journalFragments.length - listed.wal - listed.journal === 0) {
    await listFragments(image, listed, sink);
    return;
  }
  const candidates: Candidate[] = [];
  const issues: Issue[] = [];
  for (const database of carved.databases) {
    const file = itemOf(image, database.name, database.imageOffset, database.sizeInBytes, database.path);
    const source = openEvidence(file);
    try {
      const described = describeDatabase(source, database.name, database.path);
      if (described.summary === undefined) continue;
      const summary = described.summary;
      const whole = database.fragments.length <= 1;
      candidates.push({ carved: database, database: whole ? { file, summary, path: database.path } : undefined, hint: hintFromSummary(summary, `database carved at ${formatOffset(database.imageOffset)}`) });
    } finally {
      source.close();
    }
  }
  const declare = async (candidate: Candidate | undefined): Promise<void> => {
    // The log's records join the carved database's tables (addTable is idempotent).
    if (candidate?.database === undefined) return;
    for (const table of candidate.database.summary.tables) await sink.addTable(tableDescriptor(candidate.database.summary.location, table));
  };
  const chosen = (kind: string, imageOffset: number, candidate: Candidate | undefined): Issue =>
    issue(
      'carve.log-database',
      'info',
      image.extent?.path ?? { layer: { kind: 'file', location: image.location }, parent: null },
      imageOffset,
      candidate === undefined
        ? `${image.location}: ${kind} at ${formatOffset(imageOffset)} decoded without a database (none carved with its page size); tables inferred from record shapes`
        : candidate.database === undefined
          ? `${image.location}: ${kind} at ${formatOffset(imageOffset)} decoded without a base (${candidate.carved.name} is fragmented); its tables named by that database's schema, by record shape`
          : `${image.location}: ${kind} at ${formatOffset(imageOffset)} decoded with ${candidate.carved.name} (same page size, the nearest database carved ${candidate.carved.imageOffset < imageOffset ? 'before' : 'after'} it): an inference, not written in the log`,
      { imageOffset },
    );

  // One log: which database it goes with (said), its tables declared, then the WAL or journal logic.
  const decodeWal = async (kind: string, imageOffset: number, pageSize: number, file: EvidenceFile, lostHeader?: PrepareWalOptions['lostHeader']): Promise<void> => {
    const candidate = databaseFor(candidates, imageOffset, pageSize);
    issues.push(chosen(kind, imageOffset, candidate));
    await sink.addIssues(issues.splice(0));
    await declare(candidate);
    const prepared = await prepareWal(file, { database: candidate?.database, hint: candidate?.database === undefined ? candidate?.hint : undefined, ...(lostHeader === undefined ? {} : { lostHeader }) }, sink);
    if (prepared === undefined) return;
    try {
      await prepared.prepareStatuses(pool);
      await prepared.decodeFrames(pool, sink, candidate?.database === undefined ? undefined : mainFreed.get(candidate.carved.name));
    } finally {
      prepared.close();
    }
  };
  const decodeJournal = async (kind: string, imageOffset: number, pageSize: number | undefined, file: EvidenceFile): Promise<void> => {
    const candidate = databaseFor(candidates, imageOffset, pageSize);
    issues.push(chosen(kind, imageOffset, candidate));
    await sink.addIssues(issues.splice(0));
    await declare(candidate);
    const freed = candidate?.database === undefined ? undefined : mainFreed.get(candidate.carved.name);
    await scanJournal(file, { database: candidate?.database, hint: candidate?.database === undefined ? candidate?.hint : undefined, ...(freed === undefined ? {} : { mainFreed: freed }) }, pool, sink);
  };

  for (const wal of carved.wals) {
    await decodeWal('WAL', wal.imageOffset, wal.pageSize, itemOf(image, `${image.location}@wal-${formatOffset(wal.imageOffset)}`, wal.imageOffset, wal.sizeInBytes, wal.path));
  }
  for (const journal of journalRuns(carved.journals)) {
    await decodeJournal('journal', journal.imageOffset, journal.pageSize, itemOf(image, `${image.location}@journal-${formatOffset(journal.imageOffset)}`, journal.imageOffset, journal.sizeInBytes, journal.path));
  }
  for (const { fragment, file } of walFragments) {
    if (file !== undefined) await decodeWal('WAL fragment (header lost)', fragment.imageOffset, fragment.pageSize, file, { pageSize: fragment.pageSize, bigEndianChecksumWords: fragment.bigEndianChecksumWords });
  }
  for (const { fragment, file } of journalFragments) {
    if (file !== undefined) await decodeJournal('journal (header zeroed)', fragment.zeroedHeaderImageOffset ?? fragment.imageOffset, fragment.pageSize, file);
  }
  await listFragments(image, listed, sink);
}

/**
 * A journal synced in several steps has a header at every segment (each at a sector boundary):
 * the carver finds each as a journal of its own. Headers that follow one another (the next at the
 * first sector boundary after the previous extent, same page and sector size) are one journal,
 * read as segments, as its file would be.
 */
function journalRuns(journals: readonly CarvedJournal[]): CarvedJournal[] {
  const sorted = [...journals].sort((a, b) => a.imageOffset - b.imageOffset);
  const out: CarvedJournal[] = [];
  for (const journal of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.pageSize === journal.pageSize && last.sectorSize === journal.sectorSize) {
      const end = last.imageOffset + last.sizeInBytes;
      const nextSector = Math.ceil(end / last.sectorSize) * last.sectorSize;
      if (journal.imageOffset >= end && journal.imageOffset <= nextSector) {
        out[out.length - 1] = { ...last, sizeInBytes: journal.imageOffset + journal.sizeInBytes - last.imageOffset, recordCount: last.recordCount + journal.recordCount };
        continue;
      }
    }
    out.push(journal);
  }
  return out;
}

async function listFragments(image: EvidenceFile, listed: { readonly wal: number; readonly journal: number }, sink: EvidenceSink): Promise<void> {
  if (listed.wal + listed.journal === 0) return;
  await sink.addIssues([
    issue(
      'carve.log-fragments-not-decoded',
      'info',
      image.extent?.path ?? { layer: { kind: 'file', location: image.location }, parent: null },
      0,
      `${image.location}: ${listed.wal} WAL fragment(s) (first frame within 32 bytes of the image start) and ${listed.journal} journal fragment(s) (no header, zeroed or intact, before their records) carved and listed; their pages are reported only where they equal a carved database page (as sightings), not decoded as transactions`,
    ),
  ]);
}
