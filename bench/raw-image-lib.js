// Helpers for bench/raw-image.js: generate a raw image of random bytes with SQLite structures
// planted at odd 512-aligned offsets, and time reference tools on it. Generated data lives in
// bench/.data (git-ignored); an image is regenerated only when its manifest is missing.
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDirectory, sqlite } from './lib.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * The structures: a WAL-mode ledger (live main file and its -wal, copied while open), an older
 * copy of it (the "deleted" one) and a second database with another page size.
 */
export function ensureStructures() {
  const directory = join(ensureDataDirectory(), 'raw-image-parts');
  const live = join(directory, 'live.db');
  const manifest = join(directory, 'parts.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const ledger = join(directory, 'ledger.db');
  const insert = (from, to) =>
    `WITH RECURSIVE c(x) AS (SELECT ${from} UNION ALL SELECT x+1 FROM c WHERE x<${to})
INSERT INTO trans_record (tid, batch_no, trace_no, trans_type, amount, card_no, memo)
SELECT 'A1B2C3D4', printf('%06d', x/500), printf('%06d', x), CASE x%7 WHEN 0 THEN 'VOID_SALE' WHEN 1 THEN 'REFUND' ELSE 'SALE' END,
  (x*7919)%500000, '622848******' || printf('%04d', x%10000), printf('memo %d', x) FROM c;`;
  sqlite(
    ledger,
    `PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
CREATE TABLE trans_record (id INTEGER PRIMARY KEY AUTOINCREMENT, tid TEXT, batch_no TEXT, trace_no TEXT, trans_type TEXT, amount INTEGER, card_no TEXT, memo TEXT);
${insert(1, 20000)}
PRAGMA wal_checkpoint(TRUNCATE);
.shell cp '${ledger}' '${join(directory, 'old.db')}'
${insert(20001, 30000)}
DELETE FROM trans_record WHERE id % 11 = 0;
PRAGMA wal_checkpoint(TRUNCATE);
UPDATE trans_record SET memo = 'adjusted' WHERE id % 13 = 0;
.shell cp '${ledger}' '${live}'
.shell cp '${ledger}-wal' '${join(directory, 'live.db-wal')}'`,
  );
  const small = join(directory, 'settings.db');
  sqlite(small, `PRAGMA page_size=1024; CREATE TABLE s(k TEXT PRIMARY KEY, v TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<2000) INSERT INTO s SELECT printf('key%d', x), printf('value %d', x) FROM c;`);
  const parts = {
    live: live,
    wal: join(directory, 'live.db-wal'),
    old: join(directory, 'old.db'),
    small,
  };
  writeFileSync(manifest, JSON.stringify(parts));
  return parts;
}

/**
 * A raw image of `sizeInBytes` random bytes with the structures planted at odd 512-aligned
 * offsets (the same offsets in every size). Returns its path and the plan.
 */
export function ensureImage(sizeInBytes) {
  const parts = ensureStructures();
  const name = `raw-${sizeInBytes / GiB}GiB`;
  const imagePath = join(ensureDataDirectory(), `${name}.img`);
  const planPath = join(ensureDataDirectory(), `${name}.json`);
  const plan = [
    { part: 'live', imageOffset: 123 * MiB + 7 * 512 },
    { part: 'wal', imageOffset: 301 * MiB + 11 * 512 },
    { part: 'old', imageOffset: 517 * MiB + 3 * 512 },
    { part: 'small', imageOffset: 777 * MiB + 13 * 512 },
  ];
  if (existsSync(imagePath) && existsSync(planPath)) return { imagePath, plan: JSON.parse(readFileSync(planPath, 'utf8')) };
  process.stderr.write(`generating ${imagePath} (${sizeInBytes / GiB} GiB of random bytes with planted databases) …\n`);
  const descriptor = openSync(imagePath, 'w');
  try {
    const chunk = new Uint8Array(16 * MiB);
    for (let offset = 0; offset < sizeInBytes; offset += chunk.length) {
      const length = Math.min(chunk.length, sizeInBytes - offset);
      randomFillSync(chunk, 0, length);
      writeSync(descriptor, chunk, 0, length, offset);
    }
    for (const item of plan) {
      const bytes = readFileSync(parts[item.part]);
      writeSync(descriptor, bytes, 0, bytes.length, item.imageOffset);
      item.sizeInBytes = bytes.length;
    }
  } finally {
    closeSync(descriptor);
  }
  writeFileSync(planPath, JSON.stringify(plan));
  return { imagePath, plan };
}
