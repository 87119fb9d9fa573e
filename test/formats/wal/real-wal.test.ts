/**
 * Tier 2: WALs written by the real sqlite3 engine (page_size 512), copied while the writing
 * connection was open. SQLite itself is the oracle: recovery on a private copy reports the frames
 * it accepts (`PRAGMA wal_checkpoint`), and a checkpointed copy holds the pages it applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wal, WalFrame } from '../../../src/formats/wal/parse-wal.js';
import { parseWal, walFramePage } from '../../../src/formats/wal/parse-wal.js';
import type { Issue } from '../../../src/issues/issue.js';
import { filePath } from '../../../src/provenance/path.js';
import { hasSqlite3, makeTempDir, removeDir } from '../../support/sqlite3.js';
import type { WalFixture } from '../../support/wal-fixtures.js';
import { checkpointedDatabase, databasePage, makeInterruptedWal, makeWalWithRestarts, sqliteCommittedFrameCount, sqliteVersion } from '../../support/wal-fixtures.js';

const hex8 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

function parseFixture(fixture: WalFixture): { wal: Wal; issues: readonly Issue[] } {
  const outcome = parseWal(fixture.wal, 0, filePath(fixture.walPath));
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${JSON.stringify(outcome)}`);
  return { wal: outcome.value, issues: outcome.issues };
}

/** Runs of equal `label/checksum`, as `first-last:label/checksum`. */
function runs(frames: readonly WalFrame[]): string[] {
  const out: string[] = [];
  let start = 0;
  frames.forEach((frame, index) => {
    const key = `${frame.label}/${frame.checksum}`;
    const next = frames[index + 1];
    if (next === undefined || `${next.label}/${next.checksum}` !== key) {
      out.push(`${frames[start]?.frameNumber}-${frame.frameNumber}:${key}`);
      start = index + 1;
    }
  });
  return out;
}

/** Every page applied by SQLite equals the last committed frame of that page, byte for byte. */
function expectCommittedPagesApplied(fixture: WalFixture, wal: Wal, directory: string): void {
  const database = checkpointedDatabase(fixture.databasePath, fixture.walPath, directory);
  const latest = new Map<number, WalFrame>();
  for (const frame of wal.frames) if (frame.label === 'committed') latest.set(frame.pageNumber, frame);
  expect(latest.size).toBeGreaterThan(0);
  for (const [pageNumber, frame] of latest) {
    expect(Buffer.from(walFramePage(fixture.wal, frame, wal.header.pageSize)).equals(Buffer.from(databasePage(database, pageNumber, wal.header.pageSize)))).toBe(true);
  }
}

const contains = (page: Uint8Array, text: string): boolean => Buffer.from(page).includes(Buffer.from(text));

describe.skipIf(!hasSqlite3())('parseWal on WALs written by sqlite3 (tier 2; skipped when sqlite3 is missing)', () => {
  let directory = '';
  beforeAll(() => {
    directory = makeTempDir('exhume-wal-');
  });
  afterAll(() => removeDir(directory));

  it('a WAL after several checkpoints and restarts: the current generation committed, two stale generations behind it', () => {
    const fixture = makeWalWithRestarts(directory);
    const { wal, issues } = parseFixture(fixture);
    expect(wal.header.checksumValid).toBe(true);
    expect(wal.header.pageSize).toBe(512);
    expect(wal.header.checkpointSequence).toBe(2);
    expect(wal.summary.frameCount).toBe((fixture.wal.length - 32) / 536);
    expect(wal.summary.truncatedTailSizeInBytes).toBe(0);
    // SQLite's own recovery accepts exactly our committed frames.
    expect(wal.summary.lastCommittedFrameNumber).toBe(sqliteCommittedFrameCount(fixture.databasePath, fixture.walPath, directory));
    expect(wal.frames.filter((frame) => frame.label === 'committed')).toHaveLength(wal.summary.lastCommittedFrameNumber);
    expectCommittedPagesApplied(fixture, wal, directory);

    // Salt-1 grows by one per restart: the stale generations are 1 and 2 restarts old.
    const staleSalts = [...new Set(wal.frames.filter((frame) => frame.label === 'stale-generation').map((frame) => frame.salt1))];
    expect(staleSalts).toEqual([(wal.header.salt1 - 1) >>> 0, (wal.header.salt1 - 2) >>> 0]);
    expect(new Set(wal.frames.map((frame) => frame.label))).toEqual(new Set(['committed', 'stale-generation']));
    // Each stale generation's first surviving frame is unverifiable, the rest continue its chain.
    const firstOfGeneration = wal.frames.filter((frame, index) => frame.label === 'stale-generation' && wal.frames[index - 1]?.generationSalt1 !== frame.generationSalt1);
    expect(firstOfGeneration.map((frame) => frame.checksum)).toEqual(['unverifiable', 'unverifiable']);
    expect(wal.frames.filter((frame) => frame.label === 'stale-generation' && !firstOfGeneration.includes(frame)).every((frame) => frame.checksum === 'linked')).toBe(true);
    expect(issues).toEqual(
      firstOfGeneration.map((frame) => ({
        code: 'wal.frame.salt-mismatch',
        severity: 'info',
        path: filePath(fixture.walPath),
        offsetInLeaf: frame.frameOffset + 8,
        message: `WAL frame ${frame.frameNumber} at ${hex8(frame.frameOffset)}: salt-1 ${hex8(frame.salt1)} differs from header salt-1 ${hex8(wal.header.salt1)}`,
        details: { frameNumber: frame.frameNumber, salt1: frame.salt1, salt2: frame.salt2 },
      })),
    );
    if (sqliteVersion() === '3.40.1') {
      expect(runs(wal.frames)).toEqual(['1-2:committed/valid', '3-3:stale-generation/unverifiable', '4-5:stale-generation/linked', '6-6:stale-generation/unverifiable', '7-32:stale-generation/linked']);
    }
  });

  it('the interrupted transaction of sqlite.md §2.5: committed, then an uncommitted tail with rewritten and zero-salt frames, then a stale generation', () => {
    const fixture = makeInterruptedWal(directory);
    const { wal, issues } = parseFixture(fixture);
    expect(wal.header.checksumValid).toBe(true);
    expect(wal.summary.lastCommittedFrameNumber).toBe(sqliteCommittedFrameCount(fixture.databasePath, fixture.walPath, directory));
    expectCommittedPagesApplied(fixture, wal, directory);

    const order = wal.frames.map((frame) => frame.label);
    const firstUncommitted = order.indexOf('uncommitted');
    const firstStale = order.indexOf('stale-generation');
    expect(firstUncommitted).toBe(wal.summary.lastCommittedFrameNumber);
    expect(firstStale).toBeGreaterThan(firstUncommitted);
    expect(order.slice(0, firstUncommitted).every((label) => label === 'committed')).toBe(true);
    expect(order.slice(firstUncommitted, firstStale).every((label) => label === 'uncommitted')).toBe(true);
    expect(order.slice(firstStale).every((label) => label === 'stale-generation')).toBe(true);
    const tail = wal.frames.slice(firstUncommitted, firstStale);
    expect(tail.some((frame) => frame.checksum === 'zeroed')).toBe(true);
    // The open transaction's latest row versions are in its frames; the stale generation holds older ones.
    expect(tail.some((frame) => contains(walFramePage(fixture.wal, frame, 512), 'spill2'))).toBe(true);
    expect(wal.frames.slice(firstStale).some((frame) => contains(walFramePage(fixture.wal, frame, 512), 'updated'))).toBe(true);
    // Nothing here is damage: every issue is informational.
    expect(issues.every((value) => value.severity === 'info')).toBe(true);

    if (sqliteVersion() === '3.40.1') {
      // Observed with 3.40.1: frames 4–8 were spilled and then rewritten in place by the second
      // UPDATE (their stored checksums are stale); frames 9–22 were appended with zero salts.
      expect(runs(wal.frames)).toEqual([
        '1-3:committed/valid',
        '4-8:uncommitted/mismatch',
        '9-22:uncommitted/zeroed',
        '23-23:stale-generation/unverifiable',
        '24-86:stale-generation/linked',
      ]);
      expect(issues.map((value) => value.code)).toEqual([
        'wal.frame.checksum-mismatch',
        'wal.frame.checksum-mismatch',
        'wal.frame.checksum-mismatch',
        'wal.frame.checksum-mismatch',
        'wal.frame.checksum-mismatch',
        'wal.frame.zeroed',
        'wal.frame.salt-mismatch',
      ]);
      expect(issues[5]?.message).toBe('WAL frame 9 at 0x000010e0: salts and checksums are zero (appended before commit after SQLite rewrote a frame in place)');
    }
  });
});
