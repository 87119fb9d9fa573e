// npm run bench:accuracy — freed-records accuracy against ground truth made by the real sqlite3.
// Needs `npm run build` first (uses dist/src/recovery/freed/recover-database.js).
//
//   node bench/accuracy.js                 every scenario, a table per scenario and totals
//   node bench/accuracy.js --json          the same as JSON
//   node bench/accuracy.js --only a,b      some scenarios
//   node bench/accuracy.js --speed         ~65 MB database with ~100k deleted rows: time, RSS, recovered
//   EXHUME_ACCURACY_ROWS=3000              rows per scenario table (default 3000)
//
// Per scenario: deleted rows (every version of a key that is not live at the end), how many still
// survive byte-wise, how many came back labelled deleted (recall against all and against the
// surviving), older versions of live keys (and how many came back as superseded or deleted),
// phantoms (freed records whose values match no row that ever existed in their table) and live
// rows wrongly labelled deleted (a deleted-labelled record equal to a live row).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildScenario, keyOf, matches, readFile, sqlite, survives, valuesKey } from './accuracy-lib.js';
import { loadavg } from 'node:os';
import { best, dataDirectory, ensureDataDirectory, machine, timed } from './lib.js';

// EXHUME_DIST=other/out/dir points at another compiled tree (default: dist/ from `npm run build`).
const distEntry = new URL(`${process.env.EXHUME_DIST ?? new URL('../dist', import.meta.url).pathname}/src/recovery/freed/recover-database.js`, 'file:///');
const args = process.argv.slice(2);
const rows = Number(process.env.EXHUME_ACCURACY_ROWS ?? 3000);

const ledgerColumns = `tid TEXT NOT NULL, mid TEXT, batch_no TEXT, trace_no TEXT, trans_type TEXT, amount INTEGER, currency TEXT,
  card_no TEXT, ref_no TEXT, auth_code TEXT, resp_code TEXT, trans_date TEXT, trans_time TEXT, status INTEGER, fee REAL, memo TEXT, voided INTEGER, upload_flag INTEGER`;
const ledgerNames = 'tid, mid, batch_no, trace_no, trans_type, amount, currency, card_no, ref_no, auth_code, resp_code, trans_date, trans_time, status, fee, memo, voided, upload_flag';
function ledgerSelect(from, to, memo = "CASE x%5 WHEN 0 THEN NULL WHEN 1 THEN '' ELSE 'memo ' || x END") {
  return `WITH RECURSIVE c(x) AS (SELECT ${from} UNION ALL SELECT x+1 FROM c WHERE x<${to})
SELECT 'A1B2C3D4', '822290070110612', printf('%06d', 1 + x/200), printf('%06d', x), CASE x%7 WHEN 0 THEN 'VOID_SALE' WHEN 1 THEN 'REFUND' ELSE 'SALE' END,
  (x*7919)%500000, '156', '622848******' || printf('%04d', (x*31)%10000), printf('%012d', x*13), printf('%06d', (x*977)%999999),
  CASE x%11 WHEN 0 THEN '51' ELSE '00' END, '2024090' || (1 + x%9), printf('%06d', (x*37)%235959), x%3,
  CASE x%4 WHEN 0 THEN NULL WHEN 1 THEN 0.0 WHEN 2 THEN (x%50)*1.0 ELSE x/100.0 END, ${memo}, x%2, CASE x%3 WHEN 0 THEN 1 ELSE 0 END FROM c`;
}
const ledgerTable = (name = 'trans_record') => `CREATE TABLE ${name} (id INTEGER PRIMARY KEY AUTOINCREMENT, ${ledgerColumns});`;
const insertLedger = (from, to, name = 'trans_record', memo = undefined) => `INSERT INTO ${name} (${ledgerNames}) ${ledgerSelect(from, to, memo)};`;

const n = rows;
const scenarios = [
  {
    name: 'ipk-scattered',
    about: 'INTEGER PRIMARY KEY ledger, page 4096, scattered deletes (freeblocks)',
    phases: [`PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n)}`, 'DELETE FROM trans_record WHERE id % 7 = 3 OR id % 13 = 0;'],
  },
  {
    name: 'ipk-range',
    about: 'settlement DELETE of whole batches (freelist leaves and trunks)',
    phases: [`PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n)}`, "DELETE FROM trans_record WHERE batch_no BETWEEN '000003' AND '000008';", 'DELETE FROM trans_record WHERE id % 17 = 5;'],
  },
  {
    name: 'short-null-01',
    about: 'short rows full of NULL, 0, 1 and integral reals, page 1024, rowids from 1',
    phases: [
      `PRAGMA page_size=1024; CREATE TABLE flags (id INTEGER PRIMARY KEY, code TEXT, a INTEGER, b REAL, c INTEGER, d REAL, note TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${n})
INSERT INTO flags SELECT x, 'F' || x, CASE x%3 WHEN 0 THEN NULL WHEN 1 THEN 0 ELSE 1 END, CASE x%4 WHEN 0 THEN NULL WHEN 1 THEN 0.0 WHEN 2 THEN 1.0 ELSE x*2.0 END,
  CASE x%5 WHEN 0 THEN 1 ELSE NULL END, CASE x%6 WHEN 0 THEN x/8.0 ELSE NULL END, CASE x%2 WHEN 0 THEN NULL ELSE '' END FROM c;`,
      'DELETE FROM flags WHERE id % 5 = 2 OR id % 9 = 0;',
    ],
  },
  {
    name: 'without-rowid',
    about: 'WITHOUT ROWID ledger keyed by (batch_no, trace_no): scattered and range deletes',
    phases: [
      `PRAGMA page_size=4096; CREATE TABLE ledger (batch_no TEXT NOT NULL, trace_no TEXT NOT NULL, amount INTEGER, card_no TEXT, resp_code TEXT, fee REAL, memo TEXT, PRIMARY KEY (batch_no, trace_no)) WITHOUT ROWID;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${n})
INSERT INTO ledger SELECT printf('%06d', 1 + x/200), printf('%06d', x), (x*7919)%500000, '622848******' || printf('%04d', (x*31)%10000), CASE x%11 WHEN 0 THEN '51' ELSE '00' END,
  CASE x%4 WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE x/100.0 END, CASE x%3 WHEN 0 THEN NULL ELSE 'memo ' || x END FROM c;`,
      "DELETE FROM ledger WHERE CAST(trace_no AS INTEGER) % 6 = 1; DELETE FROM ledger WHERE batch_no = '000004';",
    ],
  },
  {
    name: 'utf16le',
    about: 'UTF-16le database with CJK text: scattered and range deletes',
    phases: [
      `PRAGMA encoding='UTF-16le'; PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n, 'trans_record', "CASE x%3 WHEN 0 THEN NULL ELSE '示例便利店 ' || x END")}`,
      "DELETE FROM trans_record WHERE id % 7 = 3; DELETE FROM trans_record WHERE batch_no = '000005';",
    ],
  },
  {
    name: 'utf16be',
    about: 'UTF-16be database: scattered and range deletes',
    phases: [
      `PRAGMA encoding='UTF-16be'; PRAGMA page_size=2048; ${ledgerTable()} ${insertLedger(1, n, 'trans_record', "CASE x%3 WHEN 0 THEN NULL ELSE 'ünïcödé ' || x END")}`,
      "DELETE FROM trans_record WHERE id % 6 = 1; DELETE FROM trans_record WHERE batch_no = '000007';",
    ],
  },
  {
    name: 'overflow-memo',
    about: 'memo fields of 0.3–6 KB on 1024-byte pages (overflow chains), deletes then new inserts reusing pages',
    phases: [
      `PRAGMA page_size=1024; ${ledgerTable()} ${insertLedger(1, Math.max(200, Math.floor(n / 6)), 'trans_record', "'M' || x || ' ' || printf('%.*c', 300 + (x*997)%6000, 'abcdefghij')")}`,
      'DELETE FROM trans_record WHERE id % 4 = 1;',
      `${insertLedger(Math.max(200, Math.floor(n / 6)) + 1, Math.max(200, Math.floor(n / 6)) + 40, 'trans_record', "'N' || x || ' ' || printf('%.*c', 2000, 'z')")}`,
      'DELETE FROM trans_record WHERE id % 4 = 2;',
    ],
  },
  {
    name: 'updates',
    about: 'updates that grow rows (superseded versions), a UNIQUE index on trace_no, then deletes',
    phases: [
      `PRAGMA page_size=4096; ${ledgerTable()} CREATE UNIQUE INDEX ux_trace ON trans_record(trace_no); ${insertLedger(1, n)}`,
      "UPDATE trans_record SET memo = 'adjusted after settlement ' || id, status = 9 WHERE id % 10 = 4;",
      "UPDATE trans_record SET amount = amount + 100000, resp_code = 'A' || resp_code WHERE id % 15 = 7;",
      'DELETE FROM trans_record WHERE id % 8 = 3;',
    ],
  },
  {
    name: 'no-alias-index',
    about: 'table without INTEGER PRIMARY KEY and an index on trace_no (rowid recovered from index entries)',
    phases: [
      `PRAGMA page_size=4096; CREATE TABLE journal (trace_no TEXT, amount INTEGER, note TEXT, flag INTEGER); CREATE INDEX ix_journal_trace ON journal(trace_no);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${n})
INSERT INTO journal SELECT printf('T%07d', x), (x*7919)%500000, CASE x%3 WHEN 0 THEN NULL ELSE 'note ' || x END, x%2 FROM c;`,
      'DELETE FROM journal WHERE rowid % 5 = 2;',
    ],
  },
  {
    name: 'dropped-table',
    about: 'a second ledger table dropped (CREATE statement carved from sqlite_schema, pages attributed)',
    phases: [`PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n)} ${ledgerTable('old_batch')} ${insertLedger(1, Math.floor(n / 2), 'old_batch')}`, 'DROP TABLE old_batch; DELETE FROM trans_record WHERE id % 9 = 4;'],
  },
  {
    name: 'rebalance',
    about: 'rows inserted in scrambled key order (page splits leave stale copies), then deletes',
    phases: [
      `PRAGMA page_size=1024; CREATE TABLE pay (id INTEGER PRIMARY KEY, out_trade_no TEXT, amount INTEGER, channel TEXT, state INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${n})
INSERT INTO pay SELECT (x*7919) % ${n * 3} + 1, 'OT' || printf('%010d', (x*7919) % ${n * 3}), x*3, CASE x%3 WHEN 0 THEN 'WECHAT' WHEN 1 THEN 'ALIPAY' ELSE 'UNIONPAY' END, x%4 FROM c ORDER BY (x*104729) % 1000003;`,
      'DELETE FROM pay WHERE id % 7 = 2;',
      `DELETE FROM pay WHERE id BETWEEN ${n} AND ${n + Math.floor(n / 3)};`,
    ],
  },
  {
    name: 'reuse',
    about: 'deletes, new inserts into the freed space, then a settlement range delete',
    phases: [
      `PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n)}`,
      'DELETE FROM trans_record WHERE id % 5 = 1;',
      insertLedger(n + 1, n + Math.floor(n / 4)),
      "DELETE FROM trans_record WHERE batch_no = '000006' OR id % 23 = 0;",
    ],
  },
  {
    name: 'secure-delete-on',
    about: 'control: secure_delete ON zeroes freed space; nothing may be recovered',
    secureDelete: true,
    phases: [`PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, n)}`, "DELETE FROM trans_record WHERE id % 7 = 3; DELETE FROM trans_record WHERE batch_no = '000004';"],
  },
];

function evaluate(scenario, recover) {
  const directory = join(dataDirectory, 'accuracy', scenario.name);
  const truth = buildScenario(directory, scenario);
  const file = readFile(truth.databasePath);
  const started = process.hrtime.bigint();
  const result = recover(truth.databasePath);
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  const counts = {
    deleted: 0,
    surviving: 0,
    recovered: 0,
    recoveredSurviving: 0,
    foundAnyStatus: 0,
    oldVersions: 0,
    oldVersionsSurviving: 0,
    oldVersionsFound: 0,
    phantoms: 0,
    liveLabelledDeleted: 0,
    freedRecords: 0,
    byState: {},
    byStatus: {},
    recoveredByState: {},
    rowidUnknown: 0,
    rowidFromIndex: 0,
    unattributed: 0,
    droppedTables: result.droppedTables.map((table) => table.name),
    milliseconds,
    pageSize: truth.pageSize,
    encoding: truth.encoding,
  };
  const examples = { phantoms: [], liveLabelledDeleted: [] };
  // Truth versions indexed by their values without the rowid alias (rowids are often lost).
  const indexes = new Map();
  for (const [name, table] of truth.tables) {
    const byValues = new Map();
    for (const row of (truth.versions.get(name) ?? new Map()).values()) {
      const key = valuesKey(row, table.aliasIndex);
      byValues.set(key, [...(byValues.get(key) ?? []), row]);
    }
    const liveRows = truth.live.get(name) ?? [];
    const liveKeys = new Map(liveRows.map((row) => [keyOf(table, row), row]));
    indexes.set(name, { table, byValues, liveRows, liveKeys });
  }
  const matchesOf = (tableName, record) => {
    const entry = indexes.get(tableName);
    if (entry === undefined) return [];
    const { table, byValues } = entry;
    if (record.flags.includes('truncated')) return [...byValues.values()].flat().filter((row) => matches(table, row, record));
    const key = valuesKey({ types: record.types.slice(0, table.columns.length), values: record.values.slice(0, table.columns.length) }, table.aliasIndex);
    return (byValues.get(key) ?? []).filter((row) => matches(table, row, record));
  };
  const found = new Map(); // table → Map(versionKey → statuses)
  for (const table of result.tables) {
    for (const record of table.freed) {
      counts.freedRecords++;
      counts.byState[record.state] = (counts.byState[record.state] ?? 0) + 1;
      counts.byStatus[record.status] = (counts.byStatus[record.status] ?? 0) + 1;
      if (record.flags.includes('rowid-unknown')) counts.rowidUnknown++;
      if (record.flags.includes('rowid-from-index')) counts.rowidFromIndex++;
      let names = [record.table];
      const unattributed = /^unattributed\((.*)\)$/.exec(record.table);
      if (unattributed !== null) {
        counts.unattributed++;
        names = unattributed[1].split('|');
      }
      const baseName = (name) => name.replace(/@root\d+$/, '');
      const matched = names.flatMap((name) => matchesOf(baseName(name), record).map((row) => ({ name: baseName(name), row })));
      if (matched.length === 0) {
        if (indexes.has(baseName(names[0])) || unattributed !== null) {
          counts.phantoms++;
          if (examples.phantoms.length < 5) examples.phantoms.push({ table: record.table, state: record.state, status: record.status, rowid: record.rowid, values: record.values, flags: record.flags, reasons: record.confidence.reasons });
        }
        continue;
      }
      for (const { name, row } of matched) {
        const entry = indexes.get(name);
        const versionKey = `${keyOf(entry.table, row)}\u0000${valuesKey(row)}`;
        const seen = found.get(name) ?? new Map();
        found.set(name, seen);
        const list = seen.get(versionKey) ?? [];
        list.push({ status: record.status, state: record.state });
        seen.set(versionKey, list);
        if (record.status === 'deleted') {
          const live = entry.liveKeys.get(keyOf(entry.table, row));
          if (live !== undefined && valuesKey(live) === valuesKey(row)) {
            counts.liveLabelledDeleted++;
            if (examples.liveLabelledDeleted.length < 5) examples.liveLabelledDeleted.push({ table: record.table, state: record.state, rowid: record.rowid, values: record.values, reasons: record.confidence.reasons });
          }
        }
      }
    }
  }
  for (const [name, { table, liveKeys }] of indexes) {
    for (const row of (truth.versions.get(name) ?? new Map()).values()) {
      const key = keyOf(table, row);
      const live = liveKeys.get(key);
      if (live !== undefined && valuesKey(live) === valuesKey(row)) continue;
      const statuses = found.get(name)?.get(`${key}\u0000${valuesKey(row)}`) ?? [];
      const alive = survives(file, table, row, truth.encoding, truth.pageSize);
      if (live === undefined) {
        counts.deleted++;
        if (alive) counts.surviving++;
        if (statuses.length > 0) counts.foundAnyStatus++;
        const deletedHits = statuses.filter((entry) => entry.status === 'deleted');
        if (deletedHits.length > 0) {
          counts.recovered++;
          if (alive) counts.recoveredSurviving++;
          for (const state of new Set(deletedHits.map((entry) => entry.state))) counts.recoveredByState[state] = (counts.recoveredByState[state] ?? 0) + 1;
        }
      } else {
        counts.oldVersions++;
        if (alive) counts.oldVersionsSurviving++;
        if (statuses.some((entry) => entry.status === 'superseded' || entry.status === 'deleted')) counts.oldVersionsFound++;
      }
    }
  }
  return { scenario: scenario.name, about: scenario.about, counts, examples, issues: issueCounts(result.issues) };
}

function issueCounts(issues) {
  const out = {};
  for (const issue of issues) out[issue.code] = (out[issue.code] ?? 0) + 1;
  return out;
}

const percent = (part, whole) => (whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)}%`);

function printTable(results) {
  const header = ['scenario', 'deleted', 'surviving', 'recovered', 'recall all', 'recall surv.', 'old ver.', 'old surv.', 'old found', 'phantoms', 'live→deleted', 'freed recs', 'ms'];
  const lines = [header];
  const total = { deleted: 0, surviving: 0, recovered: 0, recoveredSurviving: 0, oldVersions: 0, oldVersionsSurviving: 0, oldVersionsFound: 0, phantoms: 0, liveLabelledDeleted: 0, freedRecords: 0, milliseconds: 0 };
  for (const { scenario, counts } of results) {
    for (const key of Object.keys(total)) total[key] += counts[key];
    lines.push([
      scenario,
      counts.deleted,
      counts.surviving,
      counts.recovered,
      percent(counts.recovered, counts.deleted),
      percent(counts.recoveredSurviving, counts.surviving),
      counts.oldVersions,
      counts.oldVersionsSurviving,
      counts.oldVersionsFound,
      counts.phantoms,
      counts.liveLabelledDeleted,
      counts.freedRecords,
      counts.milliseconds.toFixed(0),
    ]);
  }
  lines.push([
    'TOTAL',
    total.deleted,
    total.surviving,
    total.recovered,
    percent(total.recovered, total.deleted),
    percent(total.recoveredSurviving, total.surviving),
    total.oldVersions,
    total.oldVersionsSurviving,
    total.oldVersionsFound,
    total.phantoms,
    total.liveLabelledDeleted,
    total.freedRecords,
    total.milliseconds.toFixed(0),
  ]);
  const widths = header.map((_, column) => Math.max(...lines.map((line) => String(line[column]).length)));
  const text = lines.map((line) => line.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]))).join('  '));
  text.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  text.splice(text.length - 1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  process.stdout.write(`${text.join('\n')}\n\n`);
  for (const { scenario, about, counts, examples } of results) {
    process.stdout.write(
      `${scenario}: ${about}\n  page ${counts.pageSize}, ${counts.encoding}; records by state ${JSON.stringify(counts.byState)}, by status ${JSON.stringify(counts.byStatus)}; deleted recovered by state ${JSON.stringify(counts.recoveredByState)}; rowid unknown ${counts.rowidUnknown}, from index ${counts.rowidFromIndex}; unattributed ${counts.unattributed}${counts.droppedTables.length > 0 ? `; dropped tables ${counts.droppedTables.join(', ')}` : ''}\n`,
    );
    for (const example of examples.phantoms) process.stdout.write(`  PHANTOM ${JSON.stringify(example)}\n`);
    for (const example of examples.liveLabelledDeleted) process.stdout.write(`  LIVE→DELETED ${JSON.stringify(example)}\n`);
  }
  return total;
}

async function accuracy() {
  if (!existsSync(distEntry)) throw new Error('dist/ is missing: run `npm run build` first');
  const { recoverDatabase } = await import(distEntry.href);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
  ensureDataDirectory();
  const results = [];
  for (const scenario of scenarios) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    if (!args.includes('--json')) process.stderr.write(`${scenario.name} …\n`);
    results.push(evaluate(scenario, (path) => recoverDatabase(path)));
  }
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ machine: machine(), rowsPerScenario: rows, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`machine: ${machine()}; ${rows} rows per scenario table\n\n`);
  const total = printTable(results);
  const targets = [
    `recall of surviving deleted rows ${percent(total.recoveredSurviving, total.surviving)} (target ≥ 95%)`,
    `phantoms ${total.phantoms} (target 0)`,
    `live rows labelled deleted ${total.liveLabelledDeleted} (target 0)`,
  ];
  process.stdout.write(`targets: ${targets.join('; ')}\n`);
}

// --speed: the figure of issue item 9, measured in a child process (peak RSS from GNU time).
async function speed() {
  ensureDataDirectory();
  const total = Number(process.env.EXHUME_SPEED_ROWS ?? 500_000);
  const databasePath = join(dataDirectory, `freed-${total}.db`);
  if (!existsSync(databasePath)) {
    process.stderr.write(`generating ${databasePath} with sqlite3 …\n`);
    sqlite(
      databasePath,
      `PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; ${ledgerTable()} ${insertLedger(1, total)}
DELETE FROM trans_record WHERE id % 10 = 3;
DELETE FROM trans_record WHERE batch_no BETWEEN '000100' AND '000349';`,
    );
  }
  const deletedExpected = Number(
    spawnSync('sqlite3', [`file:${databasePath}?immutable=1`, 'SELECT count(*) FROM trans_record'], { encoding: 'utf8' }).stdout.trim(),
  );
  const useTime = existsSync('/usr/bin/time');
  const measure = () => {
    const child = [new URL(import.meta.url).pathname, '--speed-child', databasePath];
    const runs = [];
    for (let round = 0; round < 3; round++) {
      const run = useTime ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...child], { encoding: 'utf8', maxBuffer: 1 << 30 }) : spawnSync(process.execPath, child, { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (run.status !== 0) throw new Error(run.stderr);
      const stats = JSON.parse(run.stdout);
      if (useTime) stats.peakRssMb = Number(run.stderr.trim().split('\n').pop()) / 1024;
      runs.push(stats);
    }
    return runs.reduce((a, b) => (b.milliseconds < a.milliseconds ? b : a));
  };
  // sqlite3 reading every live row of the same file, in the same run: the reference for the noise.
  const reference = best([0, 1, 2].map(() => timed('sqlite3', [`file:${databasePath}?immutable=1`, 'SELECT * FROM trans_record'])), 'milliseconds').milliseconds;
  const results = [measure()];
  const deletedTruth = total - deletedExpected;
  const out = {
    machine: machine(),
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
    database: databasePath,
    sizeMb: Number((readFile(databasePath).length / 1e6).toFixed(1)),
    rowsInserted: total,
    rowsDeleted: deletedTruth,
    sqlite3SelectMilliseconds: reference,
    runs: results.map((run) => ({ ...run, deletedRecall: Number((run.deletedDistinct / deletedTruth).toFixed(4)) })),
  };
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else {
    process.stdout.write(`${out.machine}, load ${out.loadAverage.join(' ')}\n${out.sizeMb} MB, ${total} rows, ${deletedTruth} deleted; sqlite3 SELECT * of the live rows: ${reference.toFixed(0)} ms\n`);
    for (const run of out.runs) {
      process.stdout.write(
        `one thread: ${run.milliseconds.toFixed(0)} ms wall (${(run.milliseconds / reference).toFixed(2)}x sqlite3's SELECT; ${run.cpuMilliseconds.toFixed(0)} ms CPU), peak RSS ${run.peakRssMb?.toFixed(0) ?? '?'} MB, ` +
          `${run.records} records (${(run.records / (run.milliseconds / 1000) / 1000).toFixed(0)}k records/s), ${run.freed} freed records, ${run.deletedDistinct} distinct deleted rows recovered (${(100 * run.deletedRecall).toFixed(1)}%)\n`,
      );
    }
  }
}

async function speedChild(databasePath) {
  const { recoverDatabase } = await import(distEntry.href);
  // Streaming, as a scan could: records are counted and dropped as they come.
  const traces = new Set();
  let freed = 0;
  const onFreedRecords = (table, records) => {
    freed += records.length;
    if (table.name === 'trans_record') for (const record of records) if (record.status === 'deleted') traces.add(record.values[4]);
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = recoverDatabase(databasePath, { onFreedRecords });
  const cpu = process.cpuUsage(cpuBefore);
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuMilliseconds = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ milliseconds, cpuMilliseconds, records: result.counts.live + freed, live: result.counts.live, freed, deletedDistinct: traces.size, byState: result.counts.freedByState, byStatus: result.counts.freedByStatus })}\n`);
}

if (args[0] === '--speed-child') await speedChild(args[1]);
else if (args.includes('--speed')) await speed();
else await accuracy();
