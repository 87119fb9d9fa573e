/**
 * WalFrameList keeps frames in columns; every frame it gives back must equal the one parseWal
 * builds as an object, on WALs written by sqlite3 (restarts, stale generations, zero-salt spilled
 * frames), and the transactions assembled from it must equal those assembled from the array.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalFrameList } from '../../../src/formats/wal/frame-list.js';
import type { Wal } from '../../../src/formats/wal/parse-wal.js';
import { WalFrameReader, parseWal, parseWalHeader } from '../../../src/formats/wal/parse-wal.js';
import { assembleWalTransactions } from '../../../src/assembly/wal-transactions.js';
import { filePath } from '../../../src/provenance/path.js';
import { hasSqlite3, makeTempDir, removeDir } from '../../support/sqlite3.js';
import type { WalFixture } from '../../support/wal-fixtures.js';
import { makeInterruptedWal, makeWalWithRestarts } from '../../support/wal-fixtures.js';

const path = filePath('test.wal');

function parsed(fixture: WalFixture): Wal {
  const outcome = parseWal(fixture.wal, 0, path);
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${outcome.kind}`);
  return outcome.value;
}

/** The frames as the pipeline reads them: checked in chunks, pushed into a list, labelled at the end. */
function listOf(bytes: Uint8Array, expectedCount: number): WalFrameList {
  const header = parseWalHeader(bytes, 0, path);
  if (header.kind !== 'parsed') throw new Error('no header');
  const reader = new WalFrameReader(header.value, path);
  const list = new WalFrameList(expectedCount);
  const frameSize = reader.frameSizeInBytes;
  while (reader.nextFrameOffset + frameSize <= bytes.length) {
    const end = Math.min(bytes.length, reader.nextFrameOffset + 3 * frameSize);
    const whole = end - ((end - reader.nextFrameOffset) % frameSize);
    for (const frame of reader.readFrames(bytes, reader.nextFrameOffset, whole)) list.push(frame);
  }
  list.label(reader.finish(bytes.length).summary);
  return list;
}

describe.skipIf(!hasSqlite3())('WalFrameList on WALs written by sqlite3', () => {
  let directory = '';
  let fixtures: WalFixture[] = [];
  beforeAll(() => {
    directory = makeTempDir('exhume-frame-list-');
    fixtures = [makeWalWithRestarts(directory), makeInterruptedWal(directory)];
  });
  afterAll(() => removeDir(directory));

  it('gives back every frame parseWal builds, field for field, whatever the starting capacity', () => {
    for (const fixture of fixtures) {
      const wal = parsed(fixture);
      expect(wal.frames.length).toBeGreaterThan(20);
      for (const capacity of [1, wal.frames.length]) {
        const list = listOf(fixture.wal, capacity);
        expect(list.length).toBe(wal.frames.length);
        expect([...list]).toEqual(wal.frames);
        wal.frames.forEach((frame, index) => {
          expect(list.pageNumberAt(index)).toBe(frame.pageNumber);
          expect(list.pageOffsetAt(index)).toBe(frame.pageOffset);
          expect(list.labelAt(index)).toBe(frame.label);
        });
      }
    }
    // The interrupted WAL has zero-salt frames and the restarts WAL stale generations: every label and checksum state is covered.
    const all = fixtures.flatMap((fixture) => parsed(fixture).frames);
    expect(new Set(all.map((frame) => frame.label))).toEqual(new Set(['committed', 'uncommitted', 'stale-generation']));
    expect(new Set(all.map((frame) => frame.checksum))).toContain('zeroed');
  });

  it('assembles the same generations and transactions as the frame array', () => {
    for (const fixture of fixtures) {
      const wal = parsed(fixture);
      expect(assembleWalTransactions(wal.header, listOf(fixture.wal, 16))).toEqual(assembleWalTransactions(wal.header, wal.frames));
    }
  });
});

describe('WalFrameList bounds', () => {
  const frame = {
    frameNumber: 1,
    frameOffset: 32,
    pageOffset: 56,
    pageNumber: 0xfffffffe,
    commitSizeInPages: 7,
    isCommit: true,
    salt1: 0xffffffff,
    salt2: 0x80000000,
    checksum1: 0xdeadbeef,
    checksum2: 1,
    checksum: 'mismatch' as const,
    saltsMatchHeader: false,
    saltsDamaged: true,
    generationSalt1: 0xffffffff,
    generationSalt2: 0x80000000,
    inCurrentGeneration: false,
    acceptedBySqlite: false,
  };

  it('keeps 32-bit unsigned fields exactly, and answers undefined outside the list', () => {
    const list = new WalFrameList(0);
    list.push(frame);
    list.label({ walOffset: 0, pageSize: 512, frameCount: 1, acceptedFrameCount: 0, lastCommittedFrameNumber: 0, lastCurrentGenerationCommitFrameNumber: 0, truncatedTailSizeInBytes: 0, endOffset: 568, sizeInBytes: 568 });
    expect(list.at(0)).toEqual({ ...frame, label: 'stale-generation' });
    for (const index of [-1, 1, 0.5, Number.NaN]) expect(list.at(index)).toBeUndefined();
  });

  it('refuses to answer a label before the WAL is labelled, and a frame whose page is not after its header (programmer errors)', () => {
    const list = new WalFrameList();
    list.push(frame);
    expect(() => list.at(0)).toThrow(/before label/);
    expect(() => list.push({ ...frame, pageOffset: 60 })).toThrow(/not right after its header/);
  });
});
