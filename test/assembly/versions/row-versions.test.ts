import { beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../../src/evidence/record.js';
import { WorkerPool } from '../../../src/pool/pool.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { MemorySink } from '../../../src/pipeline/sink.js';
import { pageVersionChains, rowVersionChains } from '../../../src/assembly/versions/row-versions.js';

describe('version chains of the pos-wal sample', () => {
  let sink: MemorySink;
  beforeAll(async () => {
    sink = new MemorySink();
    await scanInputs(['samples/pos-wal/trans.db'], new WorkerPool(0), sink);
  });

  it('a ledger row updated, then settled away: main file first, then its WAL versions in frame order, ending deleted', () => {
    const chains = rowVersionChains(sink.records);
    const updated = sink.transactions.flatMap((row) => row.events ?? []).find((event) => event.kind === 'update' && event.table === 'trans_record');
    const row46 = chains.find((chain) => chain.table === 'trans_record' && chain.key === updated?.key);
    expect(row46?.versions[0]).toMatchObject({ source: 'main', state: 'db-live', status: 'deleted' });
    // Main-file versions (the live cell, and any copy left in freed space) precede the WAL's.
    const sources = row46?.versions.map((version) => version.source) ?? [];
    expect(sources).toEqual([...sources].sort((a, b) => ['journal', 'main', 'wal'].indexOf(a) - ['journal', 'main', 'wal'].indexOf(b)));
    const frames = row46?.versions.filter((version) => version.source === 'wal').map((version) => version.frameIndex as number) ?? [];
    expect(frames.length).toBeGreaterThan(0);
    expect(frames).toEqual([...frames].sort((a, b) => a - b));
    expect(row46?.versions.every((version) => version.status !== 'live')).toBe(true);
    // It changed in the WAL before the DELETE: two distinct value sets among its live-cell versions.
    const cells = rowVersionChains((sink.records as EvidenceRecord[]).filter((record) => record.state === 'db-live' || record.frameIndex !== undefined)).find((chain) => chain.table === 'trans_record' && chain.key === updated?.key);
    expect(cells?.distinctValueCount).toBe(2);
    expect(cells?.versions.filter((version) => version.changed)).toHaveLength(2);
    expect(row46?.versions[row46.versions.length - 1]?.status).toBe('deleted');
  });

  it('a row inserted on day 3: WAL versions only, the committed view\'s one live', () => {
    const chain = rowVersionChains(sink.records).find((item) => item.table === 'trans_record' && item.key === '96');
    expect(chain?.versions.every((version) => version.source === 'wal')).toBe(true);
    expect(chain?.versions.filter((version) => version.status === 'live')).toHaveLength(1);
    expect(chain?.versions[chain.versions.length - 1]?.status).toBe('live');
  });

  it('chains come in table order then key order; page versions main first, then frames', () => {
    const chains = rowVersionChains(sink.records).filter((chain) => chain.table === 'trans_record');
    const keys = chains.map((chain) => Number(chain.key));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    const pages = pageVersionChains(sink.records);
    const page12 = pages.get(12) ?? [];
    expect(page12[0]?.source).toBe('main');
    expect(page12.slice(1).every((version) => version.source === 'wal')).toBe(true);
    expect(page12.slice(1).map((version) => version.frameIndex)).toEqual([...page12.slice(1).map((version) => version.frameIndex)].sort((a, b) => (a as number) - (b as number)));
  });
});
