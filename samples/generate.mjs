#!/usr/bin/env node
/**
 * Generates exhume's bundled smart-POS ledger samples with the REAL sqlite3 CLI (pos.md §5).
 *
 *   node samples/generate.mjs
 *
 * One deterministic scenario (a seeded PRNG, fixed dates in 2024-09) is replayed through sqlite3
 * in several journal modes, and each variant is captured at its own point of the timeline:
 *
 *   pos-ledger/       TRUNCATE, closed cleanly: two settled batches deleted, one open batch live
 *   pos-wal/          WAL, autocheckpoint off, committed frames after a checkpoint, copied live
 *                     (day 1 and 2 checkpointed; day 2's settlements and day 3's morning in the WAL)
 *   pos-hot-journal/  DELETE mode, a settlement transaction interrupted after pages spilled
 *   pos-damaged/      pos-ledger with page 1 zeroed and the file cut mid-page
 *   pos-persist/      PERSIST, closed right after a settlement DELETE (zeroed journal header)
 *
 * Every sqlite3 session starts with `PRAGMA secure_delete=OFF` (Debian's build defaults to ON,
 * which would zero every deleted remnant; sqlite.md §4 trap 1). Files are built in a temporary
 * folder, checked against the scenario's own ground truth, then moved into place, and
 * samples/manifest.json pins their sizes and SHA-256. WAL salts and journal nonces are random, so
 * regeneration is not byte-exact: the committed files are the reference.
 *
 * Only node:* modules; no dependencies. The environment variable SQLITE3 overrides the CLI path.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const samplesDirectory = dirname(fileURLToPath(import.meta.url));
const sqlite3Path = process.env['SQLITE3'] ?? '/usr/bin/sqlite3';
const seed = 20240908;
const pageSize = 4096;
const maximumTotalSizeInBytes = 2 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32): the same seed always gives the same ledger.

function createRandom(initialSeed) {
  let state = initialSeed >>> 0;
  function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return {
    next,
    integer(minimum, maximum) {
      return minimum + Math.floor(next() * (maximum - minimum + 1));
    },
    pick(items) {
      return items[Math.floor(next() * items.length)];
    },
    chance(probability) {
      return next() < probability;
    },
    digits(count) {
      let text = '';
      for (let index = 0; index < count; index += 1) text += String(Math.floor(next() * 10));
      return text;
    },
    hex(byteCount) {
      let text = '';
      for (let index = 0; index < byteCount; index += 1) text += Math.floor(next() * 256).toString(16).padStart(2, '0');
      return text.toUpperCase();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers.

const pad = (value, width) => String(value).padStart(width, '0');
const six = (value) => pad(value, 6);
/** Trace and batch numbers run 000001…999999 and wrap to 000001; 0 is skipped (pos.md §2). */
const nextSixDigit = (value) => (value >= 999999 ? 1 : value + 1);

function sqlValue(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    return String(value);
  }
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** China Standard Time is UTC+8; the scenario clock holds local wall time as a UTC Date. */
const chinaOffsetInMilliseconds = 8 * 3600 * 1000;
const localDate = (clock) => `${clock.getUTCFullYear()}${pad(clock.getUTCMonth() + 1, 2)}${pad(clock.getUTCDate(), 2)}`;
const localTime = (clock) => `${pad(clock.getUTCHours(), 2)}${pad(clock.getUTCMinutes(), 2)}${pad(clock.getUTCSeconds(), 2)}`;
const monthDay = (clock) => `${pad(clock.getUTCMonth() + 1, 2)}${pad(clock.getUTCDate(), 2)}`;
const unixMilliseconds = (clock) => clock.getTime() - chinaOffsetInMilliseconds;

/** Masks a PAN to its first 6 and last 4 digits, as every exported ledger must. */
function maskPan(pan) {
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

function tlv(tag, valueHex) {
  const length = valueHex.length / 2;
  if (!Number.isInteger(length) || length > 127) throw new Error(`bad TLV value for ${tag}`);
  return `${tag}${pad(length.toString(16).toUpperCase(), 2)}${valueHex}`;
}

const asciiHex = (text) => Buffer.from(text, 'ascii').toString('hex').toUpperCase();

// ---------------------------------------------------------------------------------------------
// The terminal: one Lakala-style smart POS shared by two merchants (a multi-merchant terminal,
// one merchant_batch row per MID/TID/acquirer). Merchant A takes cards and QR wallets and settles
// daily; merchant B (a tobacco counter on its own MID, acquired directly by ICBC) settles only on
// day 2, so its rows outlive A's first settlement and leave A's deleted rows as in-page remnants.

const terminalSerialNumber = 'NL00302Q3A1B2C3D4567';

const merchantDefinitions = [
  {
    key: 'A',
    mid: '822290070110612',
    tid: 'A1B2C3D4',
    acquirer: 'LAKALA',
    name: '示例便利店',
    acquirerCode: '48481000',
    firstBatchNumber: 11,
  },
  {
    key: 'B',
    mid: '822290058120034',
    tid: 'A1B2C3E5',
    acquirer: 'ICBC',
    name: '示例便利店烟酒专柜',
    acquirerCode: '01020000',
    // Starts at 999999 so its settlement wraps the batch to 000001 (pos.md §2).
    firstBatchNumber: 999999,
  },
];

/** Cards seen at the counter: real BIN prefixes, invented digits, masked before storage. */
const cardPool = [
  { pan: '6228480402564881234', issuerCode: '01030000', kind: 'DEBIT', expiry: '2907' },
  { pan: '6217000010001234567', issuerCode: '01050000', kind: 'DEBIT', expiry: '3003' },
  { pan: '6225880137705678', issuerCode: '03080000', kind: 'CREDIT', expiry: '2711' },
  { pan: '6212260200012343309', issuerCode: '01020000', kind: 'DEBIT', expiry: '3105' },
  { pan: '6222620110007788', issuerCode: '03010000', kind: 'DEBIT', expiry: '2802' },
  { pan: '6258091234565521', issuerCode: '03080000', kind: 'CREDIT', expiry: '2809' },
];

/** Column order of trans_record after `id` (pos.md §5). */
const transRecordColumns = [
  'mid', 'tid', 'trans_type', 'orig_trans_type', 'msg_type', 'proc_code', 'status', 'reversal_status',
  'batch_no', 'trace_no', 'orig_batch_no', 'orig_trace_no', 'orig_date', 'orig_ref_no', 'orig_auth_code',
  'trans_date', 'trans_time', 'settle_date', 'amount', 'tip_amount', 'bill_amount', 'currency_code',
  'card_no', 'card_org', 'entry_mode', 'card_seq_no', 'exp_date', 'ref_no', 'auth_code', 'resp_code',
  'issuer_code', 'acq_code', 'pay_channel', 'qr_pay_code', 'out_trade_no', 'channel_trade_no',
  'out_refund_no', 'c2b_voucher', 'is_online', 'batch_up_flag', 'offline_state', 'send_times',
  'free_sign', 'free_pin', 'sign_path', 'sign_send_state', 'e_receipt_no', 'field55', 'aid', 'app_label',
  'tc', 'tvr', 'tsi', 'atc', 'operator_no', 'remarks', 'create_ts',
];

/** ISO 8583 message type and processing code per transaction type (pos.md §1.2). */
const messageCodes = {
  SALE: ['0200', '000000'],
  VOID_SALE: ['0200', '200000'],
  REFUND: ['0220', '200000'],
  PRE_AUTH: ['0100', '030000'],
  VOID_PRE_AUTH: ['0100', '200000'],
  AUTH_COMPLETE: ['0200', '000000'],
  VOID_AUTH_COMPLETE: ['0200', '200000'],
};

const plusTypes = new Set(['SALE', 'AUTH_COMPLETE', 'OFFLINE_SALE', 'SCAN_PAY', 'QR_CODE']);
const reduceTypes = new Set(['VOID_SALE', 'REFUND', 'VOID_AUTH_COMPLETE', 'QR_REFUND']);

const schemaSql = `
CREATE TABLE sys_param (key TEXT PRIMARY KEY NOT NULL, value TEXT);
CREATE TABLE merchant_batch (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, mid TEXT NOT NULL, tid TEXT NOT NULL,
  acquirer TEXT NOT NULL, merchant_name TEXT, batch_no TEXT NOT NULL,
  settle_step INTEGER NOT NULL DEFAULT 0,
  settle_equal INTEGER NOT NULL DEFAULT 0,
  settle_date TEXT, settle_time TEXT, last_receipt TEXT);
CREATE TABLE trans_record (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, mid TEXT NOT NULL, tid TEXT NOT NULL,
  trans_type TEXT NOT NULL,
  orig_trans_type TEXT, msg_type TEXT, proc_code TEXT,
  status INTEGER NOT NULL DEFAULT 0,
  reversal_status TEXT NOT NULL DEFAULT 'NORMAL',
  batch_no TEXT NOT NULL, trace_no TEXT NOT NULL,
  orig_batch_no TEXT, orig_trace_no TEXT, orig_date TEXT, orig_ref_no TEXT, orig_auth_code TEXT,
  trans_date TEXT NOT NULL, trans_time TEXT NOT NULL, settle_date TEXT,
  amount INTEGER NOT NULL, tip_amount INTEGER NOT NULL DEFAULT 0, bill_amount INTEGER NOT NULL DEFAULT 0,
  currency_code TEXT NOT NULL DEFAULT '156',
  card_no TEXT, card_org TEXT, entry_mode TEXT, card_seq_no TEXT, exp_date TEXT,
  ref_no TEXT, auth_code TEXT, resp_code TEXT, issuer_code TEXT, acq_code TEXT,
  pay_channel TEXT NOT NULL DEFAULT 'CARD',
  qr_pay_code TEXT, out_trade_no TEXT, channel_trade_no TEXT, out_refund_no TEXT, c2b_voucher TEXT,
  is_online INTEGER NOT NULL DEFAULT 1, batch_up_flag INTEGER NOT NULL DEFAULT 0, offline_state TEXT,
  send_times INTEGER NOT NULL DEFAULT 0, free_sign INTEGER NOT NULL DEFAULT 0, free_pin INTEGER NOT NULL DEFAULT 0,
  sign_path TEXT, sign_send_state INTEGER NOT NULL DEFAULT 0, e_receipt_no TEXT,
  field55 TEXT, aid TEXT, app_label TEXT, tc TEXT, tvr TEXT, tsi TEXT, atc TEXT,
  operator_no TEXT, remarks TEXT, create_ts INTEGER NOT NULL);
CREATE UNIQUE INDEX ux_trans_identity ON trans_record(tid, batch_no, trace_no);
CREATE INDEX ix_trans_ref ON trans_record(ref_no);
CREATE INDEX ix_trans_order ON trans_record(out_trade_no);
CREATE TABLE reversal_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, has_send INTEGER NOT NULL DEFAULT 0, mid TEXT,
  tid TEXT, trans_type TEXT, proc_code TEXT, amount INTEGER NOT NULL, batch_no TEXT, trace_no TEXT,
  card_no TEXT, entry_mode TEXT, card_seq_no TEXT, dup_reason TEXT,
  orig_auth_code TEXT, currency_code TEXT, field55 TEXT, create_ts INTEGER NOT NULL);
CREATE TABLE batch_total (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, mid TEXT NOT NULL, tid TEXT NOT NULL,
  batch_no TEXT NOT NULL, batch_time TEXT NOT NULL, closed INTEGER NOT NULL DEFAULT 1,
  sale_num INTEGER NOT NULL, sale_amount INTEGER NOT NULL, void_num INTEGER NOT NULL,
  void_amount INTEGER NOT NULL, refund_num INTEGER NOT NULL, refund_amount INTEGER NOT NULL,
  auth_complete_num INTEGER NOT NULL, auth_complete_amount INTEGER NOT NULL, qr_num INTEGER NOT NULL,
  qr_amount INTEGER NOT NULL, debit_num INTEGER NOT NULL, debit_amount INTEGER NOT NULL,
  credit_num INTEGER NOT NULL, credit_amount INTEGER NOT NULL,
  host_settle_equal INTEGER NOT NULL);
`;


/**
 * A batch's totals as the terminal sends them in the 0500 (pos.md §3): only approved rows that
 * were not reversed count; debit = PLUS types, credit = REDUCE types (Newland's F63).
 */
function batchTotals(rows) {
  const counted = rows.filter((row) => row.resp_code === '00' && row.reversal_status === 'NORMAL');
  const sum = (predicate) => {
    const selected = counted.filter(predicate);
    return [selected.length, selected.reduce((total, row) => total + row.amount, 0)];
  };
  const [saleCount, saleAmount] = sum((row) => row.trans_type === 'SALE' || row.trans_type === 'OFFLINE_SALE');
  const [voidCount, voidAmount] = sum((row) => row.trans_type === 'VOID_SALE' || row.trans_type === 'VOID_AUTH_COMPLETE');
  const [refundCount, refundAmount] = sum((row) => row.trans_type === 'REFUND' || row.trans_type === 'QR_REFUND');
  const [completeCount, completeAmount] = sum((row) => row.trans_type === 'AUTH_COMPLETE');
  const [qrCount, qrAmount] = sum((row) => row.trans_type === 'SCAN_PAY' || row.trans_type === 'QR_CODE');
  const [debitCount, debitAmount] = sum((row) => plusTypes.has(row.trans_type));
  const [creditCount, creditAmount] = sum((row) => reduceTypes.has(row.trans_type));
  return { saleCount, saleAmount, voidCount, voidAmount, refundCount, refundAmount, completeCount, completeAmount, qrCount, qrAmount, debitCount, debitAmount, creditCount, creditAmount };
}

/** batch_total's counting columns, sale_num … credit_amount, in declaration order. */
function totalsColumns(totals) {
  return [
    totals.saleCount, totals.saleAmount, totals.voidCount, totals.voidAmount, totals.refundCount, totals.refundAmount,
    totals.completeCount, totals.completeAmount, totals.qrCount, totals.qrAmount, totals.debitCount, totals.debitAmount,
    totals.creditCount, totals.creditAmount,
  ];
}

// ---------------------------------------------------------------------------------------------
// Scenario: a model of the terminal that emits the SQL its app would run, commit by commit, and
// keeps the ground truth (what was inserted, updated and deleted, and when).

class Scenario {
  constructor(random) {
    this.random = random;
    /** Script pieces: { sql } or { mark } (a named point of the timeline). */
    this.events = [];
    /** Ground truth snapshots per mark. */
    this.marks = new Map();
    this.traceNumber = 999_981; // wraps to 000001 during day 1
    this.stanNumber = 4_120;
    this.nextTransRecordId = 1;
    this.nextReversalId = 1;
    this.nextBatchTotalId = 1;
    this.clock = new Date(0);
    this.orderSequence = 0;
    /** id -> trans_record row (column -> value) plus ground-truth fields. */
    this.rows = new Map();
    this.pendingReversal = null;
    this.settlements = [];
    this.merchants = merchantDefinitions.map((definition, index) => ({
      ...definition,
      merchantBatchId: index + 1,
      batchNumber: definition.firstBatchNumber,
      batchOpenedOn: null,
    }));
    this.merchantA = this.merchants[0];
    this.merchantB = this.merchants[1];
  }

  sql(text) {
    this.events.push({ sql: text.trim() });
  }

  mark(name) {
    this.events.push({ mark: name });
    const live = [...this.rows.values()].filter((row) => row.truth.deletedBy === null).map((row) => row.truth.id);
    const deleted = [...this.rows.values()].filter((row) => row.truth.deletedBy !== null).map((row) => row.truth.id);
    this.marks.set(name, {
      transRecordInserted: this.rows.size,
      transRecordDeletedBySettlement: deleted.length,
      liveTransRecordIds: live,
      reversalPendingLive: this.pendingReversal === null ? 0 : 1,
      batchTotalRows: this.nextBatchTotalId - 1,
      settlements: this.settlements.map((settlement) => ({ ...settlement })),
    });
  }

  // --- clock --------------------------------------------------------------------------------

  startDay(isoDate) {
    this.clock = new Date(`${isoDate}T08:0${this.random.integer(0, 9)}:${pad(this.random.integer(0, 59), 2)}Z`);
    this.orderSequence = 0;
  }

  advance(minimumMinutes = 2, maximumMinutes = 22) {
    const seconds = this.random.integer(minimumMinutes * 60, maximumMinutes * 60);
    this.clock = new Date(this.clock.getTime() + seconds * 1000);
  }

  // --- counters -----------------------------------------------------------------------------

  /** Consumes a trace (凭证号) and a STAN and persists both, as the app does before sending. */
  consumeTrace() {
    this.traceNumber = nextSixDigit(this.traceNumber);
    this.stanNumber = nextSixDigit(this.stanNumber);
    this.sql(`BEGIN;
UPDATE sys_param SET value=${sqlValue(six(this.traceNumber))} WHERE key='EDC_TRACE_NO';
UPDATE sys_param SET value=${sqlValue(six(this.stanNumber))} WHERE key='EDC_STAN_NO';
COMMIT;`);
    return six(this.traceNumber);
  }

  /** A message that consumes only a STAN (reversal, batch upload). */
  consumeStan() {
    this.stanNumber = nextSixDigit(this.stanNumber);
    this.sql(`UPDATE sys_param SET value=${sqlValue(six(this.stanNumber))} WHERE key='EDC_STAN_NO';`);
  }

  // --- setup --------------------------------------------------------------------------------

  setup() {
    this.sql(schemaSql);
    const parameters = [
      ['TERMINAL_SN', terminalSerialNumber],
      ['APP_VERSION', 'V3.2.7_20240801'],
      ['EDC_TRACE_NO', six(this.traceNumber)],
      ['EDC_STAN_NO', six(this.stanNumber)],
      ['PRINT_TITLE', '示例便利店 欢迎光临'],
      ['FREE_SIGN_LIMIT', '100000'],
      ['FREE_PIN_LIMIT', '100000'],
      ['LAST_LOGON_DATE', '20240907'],
      ['HOST_IP', '10.18.3.41:6012'],
    ];
    this.sql(`INSERT INTO sys_param(key, value) VALUES ${parameters.map(([key, value]) => `(${sqlValue(key)}, ${sqlValue(value)})`).join(', ')};`);
    for (const merchant of this.merchants) {
      this.sql(`INSERT INTO merchant_batch(mid, tid, acquirer, merchant_name, batch_no, settle_step, settle_equal, settle_date, settle_time, last_receipt)
VALUES (${[merchant.mid, merchant.tid, merchant.acquirer, merchant.name, six(merchant.batchNumber), 0, 1, '20240907', '221503', null].map(sqlValue).join(', ')});`);
    }
  }

  /** Sign-in (签到) at the start of a day: consumes a trace, leaves no ledger row. */
  logon(isoDate) {
    this.startDay(isoDate);
    this.consumeTrace();
    this.sql(`UPDATE sys_param SET value=${sqlValue(localDate(this.clock))} WHERE key='LAST_LOGON_DATE';`);
    for (const merchant of this.merchants) if (merchant.batchOpenedOn === null) merchant.batchOpenedOn = localDate(this.clock);
  }

  /** Balance inquiry: consumes a trace, leaves no ledger row (a normal trace gap). */
  balanceInquiry() {
    this.advance(1, 10);
    this.resolvePendingReversal();
    this.consumeTrace();
  }

  // --- rows ---------------------------------------------------------------------------------

  baseRow(merchant, transType) {
    const [messageType, processingCode] = messageCodes[transType] ?? [null, null];
    return {
      mid: merchant.mid,
      tid: merchant.tid,
      trans_type: transType,
      orig_trans_type: null,
      msg_type: messageType,
      proc_code: processingCode,
      status: 0,
      reversal_status: 'NORMAL',
      batch_no: six(merchant.batchNumber),
      trace_no: null,
      orig_batch_no: null,
      orig_trace_no: null,
      orig_date: null,
      orig_ref_no: null,
      orig_auth_code: null,
      trans_date: localDate(this.clock),
      trans_time: localTime(this.clock),
      settle_date: monthDay(this.clock),
      amount: 0,
      tip_amount: 0,
      bill_amount: 0,
      currency_code: '156',
      card_no: null,
      card_org: null,
      entry_mode: null,
      card_seq_no: null,
      exp_date: null,
      ref_no: null,
      auth_code: null,
      resp_code: '00',
      issuer_code: null,
      acq_code: merchant.acquirerCode,
      pay_channel: 'CARD',
      qr_pay_code: null,
      out_trade_no: null,
      channel_trade_no: null,
      out_refund_no: null,
      c2b_voucher: null,
      is_online: 1,
      batch_up_flag: 0,
      offline_state: null,
      send_times: 1,
      free_sign: 0,
      free_pin: 0,
      sign_path: null,
      sign_send_state: 0,
      e_receipt_no: null,
      field55: null,
      aid: null,
      app_label: null,
      tc: null,
      tvr: null,
      tsi: null,
      atc: null,
      operator_no: this.random.pick(['01', '01', '02']),
      remarks: null,
      create_ts: unixMilliseconds(this.clock),
    };
  }

  /** Host-assigned RRN (F37), here yyMMddHHmmss as in the sample statement of pos.md §6. */
  referenceNumber() {
    return `${localDate(this.clock).slice(2)}${localTime(this.clock)}`;
  }

  fillCard(row, card, entryMode, merchant) {
    row.card_no = maskPan(card.pan);
    row.card_org = 'CUP';
    row.entry_mode = entryMode;
    row.issuer_code = card.issuerCode;
    row.exp_date = card.expiry;
    const chip = entryMode.startsWith('05') || entryMode.startsWith('07');
    // Small chip and contactless payments need no signature; small contactless ones no PIN
    // either (小额免密免签). A swiped card always signs.
    if (entryMode.startsWith('07') && row.amount <= 100_000) row.free_pin = 1;
    if (chip && row.amount <= 100_000) row.free_sign = 1;
    if (row.free_sign === 0) {
      row.sign_path = `/sdcard/lakala/sign/${merchant.mid}-${merchant.tid}/${row.trace_no}.bmp`;
      row.sign_send_state = 1;
    }
    if (!chip) return;
    const transactionTypeTag = { SALE: '00', PRE_AUTH: '03', REFUND: '20' }[row.trans_type] ?? '00';
    const atc = pad(this.random.integer(1, 900).toString(16).toUpperCase(), 4);
    const cryptogram = this.random.hex(8);
    const tvr = this.random.pick(['0000000000', '0000008000', '0080046000', '0000000000']);
    const aid = card.kind === 'CREDIT' ? 'A000000333010102' : 'A000000333010101';
    row.card_seq_no = this.random.pick(['000', '001', '001']);
    row.aid = aid;
    row.app_label = card.kind === 'CREDIT' ? 'PBOC CREDIT' : 'PBOC DEBIT';
    row.atc = atc;
    row.tvr = tvr;
    row.tsi = entryMode.startsWith('07') ? '0000' : 'E800';
    row.tc = this.random.hex(8);
    row.field55 = [
      tlv('9F26', cryptogram),
      tlv('9F27', '80'),
      tlv('9F10', `07010103A0${this.random.hex(2)}010A010000${this.random.hex(5)}`),
      tlv('9F37', this.random.hex(4)),
      tlv('9F36', atc),
      tlv('95', tvr),
      tlv('9A', localDate(this.clock).slice(2)),
      tlv('9C', transactionTypeTag),
      tlv('9F02', pad(row.amount, 12)),
      tlv('5F2A', '0156'),
      tlv('82', '7C00'),
      tlv('9F1A', '0156'),
      tlv('9F03', '000000000000'),
      tlv('9F33', 'E0E1C8'),
      tlv('9F34', entryMode.startsWith('07') ? '1F0302' : '420300'),
      tlv('9F35', '22'),
      tlv('9F1E', asciiHex(terminalSerialNumber.slice(-8))),
      tlv('84', aid),
      tlv('9F09', '0030'),
      tlv('9F41', pad(row.trace_no ?? '0', 8)),
    ].join('');
  }

  insertRow(row, extraSql = []) {
    const id = this.nextTransRecordId;
    this.nextTransRecordId += 1;
    const values = transRecordColumns.map((column) => sqlValue(row[column]));
    const insert = `INSERT INTO trans_record(${transRecordColumns.join(', ')})\nVALUES (${values.join(', ')});`;
    if (extraSql.length === 0) this.sql(insert);
    else this.sql(`BEGIN;\n${insert}\n${extraSql.join('\n')}\nCOMMIT;`);
    row.truth = { id, deletedBy: null };
    this.rows.set(id, row);
    return row;
  }

  /** Before a new online message the terminal sends any pending reversal (冲正) first. */
  resolvePendingReversal() {
    if (this.pendingReversal === null) return;
    const { reversalId, row } = this.pendingReversal;
    this.sql(`UPDATE reversal_pending SET has_send=1 WHERE id=${reversalId};`);
    this.consumeStan();
    row.reversal_status = 'REVERSED';
    this.sql(`BEGIN;
UPDATE trans_record SET reversal_status='REVERSED' WHERE id=${row.truth.id};
DELETE FROM reversal_pending WHERE id=${reversalId};
COMMIT;`);
    this.pendingReversal = null;
  }

  /**
   * An online card transaction: reversal data saved first, then the answer stored and the
   * reversal deleted (pos.md §3). `outcome` is 'approved', 'declined' or 'no-answer'.
   */
  onlineCard(merchant, row, { outcome = 'approved', originalUpdate = null, duplicateReason = '98' } = {}) {
    this.resolvePendingReversal();
    row.trace_no = this.consumeTrace();
    if (row.field55 !== null) {
      // The trace is known only now: refresh the 9F41 element that ends the TLV string.
      row.field55 = row.field55.replace(/9F4104[0-9A-F]{8}$/, tlv('9F41', pad(row.trace_no, 8)));
    }
    if (row.sign_path !== null) row.sign_path = `/sdcard/lakala/sign/${merchant.mid}-${merchant.tid}/${row.trace_no}.bmp`;
    const reversalId = this.nextReversalId;
    this.nextReversalId += 1;
    this.sql(`INSERT INTO reversal_pending(has_send, mid, tid, trans_type, proc_code, amount, batch_no, trace_no, card_no, entry_mode, card_seq_no, dup_reason, orig_auth_code, currency_code, field55, create_ts)
VALUES (${[0, row.mid, row.tid, row.trans_type, row.proc_code, row.amount, row.batch_no, row.trace_no, row.card_no, row.entry_mode, row.card_seq_no, duplicateReason, row.orig_auth_code, '156', row.field55, row.create_ts].map(sqlValue).join(', ')});`);
    if (outcome === 'no-answer') {
      row.reversal_status = 'PENDING';
      row.resp_code = null;
      row.settle_date = null;
      row.tc = null;
      row.remarks = '交易超时,待冲正';
      this.insertRow(row);
      this.pendingReversal = { reversalId, row };
      return row;
    }
    row.ref_no = this.referenceNumber();
    if (outcome === 'declined') {
      row.resp_code = this.random.pick(['51', '55']);
      row.remarks = row.resp_code === '51' ? '余额不足' : '密码错误';
      row.settle_date = null;
      row.tc = null;
    } else {
      row.auth_code = row.trans_type === 'VOID_SALE' || row.trans_type === 'VOID_AUTH_COMPLETE' ? row.orig_auth_code : this.random.digits(6);
    }
    const extra = [];
    if (originalUpdate !== null && outcome === 'approved') {
      extra.push(originalUpdate.sql);
      originalUpdate.apply();
    }
    extra.push(`DELETE FROM reversal_pending WHERE id=${reversalId};`);
    this.insertRow(row, extra);
    return row;
  }

  chooseAmount() {
    const bucket = this.random.next();
    if (bucket < 0.55) return this.random.integer(30, 600) * 10; // 3.00 – 60.00
    if (bucket < 0.9) return this.random.integer(60, 3000) * 10; // 6.00 – 300.00
    return this.random.integer(30, 200) * 100; // round 30 – 200 元
  }

  /** An everyday payment: mostly cards, then WeChat, Alipay and UnionPay QR. */
  randomPayment(merchant) {
    const roll = this.random.next();
    if (roll < 0.25) return this.qrPayment(merchant, 'WECHAT');
    if (roll < 0.4) return this.qrPayment(merchant, 'ALIPAY');
    if (roll < 0.45) return this.qrPayment(merchant, 'UNIONPAY_QR', 'QR_CODE');
    return this.cardSale(merchant);
  }

  cardSale(merchant, { amount = this.chooseAmount(), outcome = 'approved', entryMode = null } = {}) {
    this.advance();
    const card = this.random.pick(cardPool);
    const entry = entryMode ?? this.random.pick(['051', '071', '071', '071', '021']);
    const row = this.baseRow(merchant, 'SALE');
    row.amount = amount;
    row.bill_amount = amount;
    this.fillCard(row, card, entry, merchant);
    return this.onlineCard(merchant, row, { outcome });
  }

  /** Void (消费撤销): a new VOID_SALE row with orig_* pointers; the sale's status becomes 1. */
  voidOf(merchant, original, transType = 'VOID_SALE', newStatus = 1) {
    this.advance(1, 15);
    const row = this.baseRow(merchant, transType);
    row.orig_trans_type = original.trans_type;
    row.amount = original.amount;
    row.card_no = original.card_no;
    row.card_org = original.card_org;
    row.entry_mode = '012';
    row.exp_date = original.exp_date;
    row.issuer_code = original.issuer_code;
    row.orig_batch_no = original.batch_no;
    row.orig_trace_no = original.trace_no;
    row.orig_date = original.trans_date.slice(4);
    row.orig_ref_no = original.ref_no;
    row.orig_auth_code = original.auth_code;
    row.free_sign = 1;
    row.remarks = transType === 'VOID_SALE' ? '顾客取消' : null;
    return this.onlineCard(merchant, row, {
      originalUpdate: {
        sql: `UPDATE trans_record SET status=${newStatus} WHERE tid=${sqlValue(original.tid)} AND batch_no=${sqlValue(original.batch_no)} AND trace_no=${sqlValue(original.trace_no)};`,
        apply: () => {
          if (original.truth.deletedBy === null) original.status = newStatus;
        },
      },
    });
  }

  /** Refund (退货): a REFUND row with orig_ref_no and orig_date; the sale's status becomes 2. */
  refundOf(merchant, original, amount) {
    this.advance();
    const row = this.baseRow(merchant, 'REFUND');
    row.orig_trans_type = original.trans_type;
    row.amount = amount;
    row.card_no = original.card_no;
    row.card_org = original.card_org;
    row.entry_mode = '012';
    row.exp_date = original.exp_date;
    row.issuer_code = original.issuer_code;
    row.orig_ref_no = original.ref_no;
    row.orig_date = original.trans_date.slice(4);
    row.orig_batch_no = original.batch_no;
    row.orig_trace_no = original.trace_no;
    row.orig_auth_code = original.auth_code;
    row.free_sign = 1;
    row.remarks = '退货:商品破损';
    return this.onlineCard(merchant, row, {
      // When the sale sat in an already settled batch the UPDATE matches nothing, as on a terminal.
      originalUpdate: {
        sql: `UPDATE trans_record SET status=2 WHERE ref_no=${sqlValue(original.ref_no)} AND trans_date=${sqlValue(original.trans_date)};`,
        apply: () => {
          if (original.truth.deletedBy === null) original.status = 2;
        },
      },
    });
  }

  preAuth(merchant, amount) {
    this.advance();
    const card = cardPool[2];
    const row = this.baseRow(merchant, 'PRE_AUTH');
    row.amount = amount;
    row.bill_amount = amount;
    this.fillCard(row, card, '051', merchant);
    row.remarks = '押金';
    return this.onlineCard(merchant, row);
  }

  /** Completion (预授权完成): an AUTH_COMPLETE row; the pre-auth's status becomes 3. */
  completionOf(merchant, original, amount) {
    this.advance();
    const row = this.baseRow(merchant, 'AUTH_COMPLETE');
    row.orig_trans_type = 'PRE_AUTH';
    row.amount = amount;
    row.bill_amount = amount;
    row.card_no = original.card_no;
    row.card_org = original.card_org;
    row.entry_mode = '012';
    row.exp_date = original.exp_date;
    row.issuer_code = original.issuer_code;
    row.orig_auth_code = original.auth_code;
    row.orig_date = original.trans_date.slice(4);
    row.orig_batch_no = original.batch_no;
    row.orig_trace_no = original.trace_no;
    row.orig_ref_no = original.ref_no;
    row.free_sign = amount <= 100_000 ? 1 : 0;
    if (row.free_sign === 0) {
      row.sign_path = `/sdcard/lakala/sign/${merchant.mid}-${merchant.tid}/pending.bmp`;
      row.sign_send_state = 1;
    }
    return this.onlineCard(merchant, row, {
      originalUpdate: {
        sql: `UPDATE trans_record SET status=3 WHERE tid=${sqlValue(original.tid)} AND batch_no=${sqlValue(original.batch_no)} AND trace_no=${sqlValue(original.trace_no)};`,
        apply: () => {
          if (original.truth.deletedBy === null) original.status = 3;
        },
      },
    });
  }

  outTradeNumber() {
    this.orderSequence += 1;
    return `LKL${localDate(this.clock)}${localTime(this.clock)}${pad(this.orderSequence, 3)}`;
  }

  /** QR payment: B扫C (SCAN_PAY, the terminal scans the payer's code) or C扫B (QR_CODE). */
  qrPayment(merchant, channel, transType = 'SCAN_PAY') {
    this.advance();
    this.resolvePendingReversal();
    const row = this.baseRow(merchant, transType);
    row.amount = this.chooseAmount();
    row.bill_amount = row.amount;
    row.pay_channel = channel;
    row.send_times = 1;
    row.trace_no = this.consumeTrace();
    row.out_trade_no = this.outTradeNumber();
    const date = localDate(this.clock);
    if (channel === 'WECHAT') {
      if (transType === 'SCAN_PAY') row.qr_pay_code = `13${this.random.digits(16)}`;
      row.channel_trade_no = `420000${this.random.digits(4)}${date}${this.random.digits(10)}`;
    } else if (channel === 'ALIPAY') {
      if (transType === 'SCAN_PAY') row.qr_pay_code = `28${this.random.digits(16)}`;
      row.channel_trade_no = `${date}2200141${this.random.digits(13)}`;
    } else {
      row.c2b_voucher = `6${this.random.digits(19)}`;
      row.channel_trade_no = `${date.slice(2)}${localTime(this.clock)}${this.random.digits(10)}`;
      row.ref_no = this.referenceNumber();
    }
    row.remarks = channel === 'WECHAT' ? '微信支付' : channel === 'ALIPAY' ? '支付宝' : '云闪付';
    return this.insertRow(row);
  }

  /** QR refund: keyed by the original out_trade_no plus out_refund_no; the original becomes 2. */
  qrRefundOf(merchant, original, amount) {
    this.advance();
    this.resolvePendingReversal();
    const row = this.baseRow(merchant, 'QR_REFUND');
    row.orig_trans_type = original.trans_type;
    row.amount = amount;
    row.pay_channel = original.pay_channel;
    row.trace_no = this.consumeTrace();
    row.orig_batch_no = original.batch_no;
    row.orig_trace_no = original.trace_no;
    row.orig_date = original.trans_date.slice(4);
    row.out_trade_no = original.out_trade_no;
    row.out_refund_no = `LKLR${localDate(this.clock)}${localTime(this.clock)}${pad(this.random.integer(1, 999), 3)}`;
    row.channel_trade_no = original.pay_channel === 'WECHAT' ? `50300${this.random.digits(24)}` : original.channel_trade_no;
    row.remarks = '扫码退款';
    const update = `UPDATE trans_record SET status=2 WHERE out_trade_no=${sqlValue(original.out_trade_no)} AND trans_type=${sqlValue(original.trans_type)};`;
    const inserted = this.insertRow(row, [update]);
    if (original.truth.deletedBy === null) original.status = 2;
    return inserted;
  }

  // --- settlement ---------------------------------------------------------------------------

  batchRows(merchant) {
    const batch = six(merchant.batchNumber);
    return [...this.rows.values()].filter((row) => row.truth.deletedBy === null && row.tid === merchant.tid && row.batch_no === batch);
  }

  /**
   * Settlement (结算), as pos.md §3: totals sent (0500), batch_total written, batch upload when
   * the host says the totals do not balance, merchant_batch updated and the batch incremented,
   * then `DELETE FROM trans_record WHERE mid=? AND tid=?` (the signature bitmaps go with it).
   */
  settle(merchant, { hostSettleEqual }) {
    this.advance(5, 20);
    this.resolvePendingReversal();
    const settlementTrace = this.consumeTrace();
    const rows = this.batchRows(merchant);
    const totals = batchTotals(rows);
    const batch = six(merchant.batchNumber);
    const batchTime = `${localDate(this.clock)}${localTime(this.clock)}`;
    const batchTotalId = this.nextBatchTotalId;
    this.nextBatchTotalId += 1;

    this.sql(`UPDATE merchant_batch SET settle_step=1 WHERE id=${merchant.merchantBatchId};`);
    this.sql(`INSERT INTO batch_total(mid, tid, batch_no, batch_time, closed, sale_num, sale_amount, void_num, void_amount, refund_num, refund_amount, auth_complete_num, auth_complete_amount, qr_num, qr_amount, debit_num, debit_amount, credit_num, credit_amount, host_settle_equal)
VALUES (${[merchant.mid, merchant.tid, batch, batchTime, 1, ...totalsColumns(totals), hostSettleEqual].map(sqlValue).join(', ')});`);
    if (hostSettleEqual === 0) {
      // 不平: every card record is uploaded (0320) one by one, each flagged as it goes.
      this.sql(`UPDATE merchant_batch SET settle_step=2, settle_equal=0 WHERE id=${merchant.merchantBatchId};`);
      for (const row of rows) {
        if (row.pay_channel !== 'CARD' || row.resp_code !== '00') continue;
        this.stanNumber = nextSixDigit(this.stanNumber);
        row.batch_up_flag = 1;
        this.sql(`UPDATE trans_record SET batch_up_flag=1 WHERE id=${row.truth.id};`);
      }
      this.sql(`UPDATE sys_param SET value=${sqlValue(six(this.stanNumber))} WHERE key='EDC_STAN_NO';`);
    }
    const settleDate = localDate(this.clock);
    const settleTime = localTime(this.clock);
    this.sql(`UPDATE merchant_batch SET settle_step=3, settle_equal=${hostSettleEqual}, settle_date=${sqlValue(settleDate)}, settle_time=${sqlValue(settleTime)}, last_receipt=${sqlValue(settlementTrace)} WHERE id=${merchant.merchantBatchId};`);
    const settledBatch = merchant.batchNumber;
    merchant.batchNumber = nextSixDigit(merchant.batchNumber);
    this.sql(`UPDATE merchant_batch SET batch_no=${sqlValue(six(merchant.batchNumber))}, settle_step=0 WHERE id=${merchant.merchantBatchId};`);
    const label = `${merchant.tid}/${six(settledBatch)}`;
    this.sql(`DELETE FROM trans_record WHERE mid=${sqlValue(merchant.mid)} AND tid=${sqlValue(merchant.tid)};`);
    for (const row of [...this.rows.values()]) {
      if (row.truth.deletedBy === null && row.mid === merchant.mid && row.tid === merchant.tid) row.truth.deletedBy = label;
    }
    this.settlements.push({
      mid: merchant.mid,
      tid: merchant.tid,
      batchNo: six(settledBatch),
      openedOn: merchant.batchOpenedOn,
      settledAt: batchTime,
      settlementTraceNo: settlementTrace,
      hostSettleEqual,
      batchTotalId,
      transRecordRowsDeleted: rows.length,
      debitCount: totals.debitCount,
      debitAmount: totals.debitAmount,
      creditCount: totals.creditCount,
      creditAmount: totals.creditAmount,
    });
    merchant.batchOpenedOn = null;
  }

  /** The whole timeline: three business days, 2024-09-08 … 2024-09-10. */
  build() {
    const A = this.merchantA;
    const B = this.merchantB;
    const r = this.random;
    this.setup();
    this.mark('setup');

    // Day 1, Sunday 2024-09-08: batch A 000011 (trace wraps 999999 → 000001), batch B 999999.
    this.logon('2024-09-08');
    for (let index = 0; index < 44; index += 1) {
      if (index === 5 || index === 30) {
        const sale = this.cardSale(A);
        this.voidOf(A, sale);
      } else if (index === 12) this.preAuthDay1 = this.preAuth(A, 50_000);
      else if (index === 18) this.cardSale(A, { outcome: 'declined', entryMode: '051' });
      else if (index === 24) this.balanceInquiry();
      else if (index % 9 === 3) this.cardSale(B, { entryMode: r.pick(['051', '071']) });
      else this.randomPayment(A);
    }
    this.settle(A, { hostSettleEqual: 1 });
    this.mark('day1-settled');

    // Day 2, Monday 2024-09-09: batch A 000012; a timed-out sale is reversed; A's totals do not
    // balance (batch upload); B settles too, its batch wrapping 999999 → 000001.
    this.logon('2024-09-09');
    let day2Sale = null;
    let day2Wechat = null;
    for (let index = 0; index < 48; index += 1) {
      if (index === 2) this.completionOf(A, this.preAuthDay1, 46_800); // the pre-auth was settled away
      else if (index === 4) day2Sale = this.cardSale(A, { amount: 25_800, entryMode: '051' });
      else if (index === 6) day2Wechat = this.qrPayment(A, 'WECHAT');
      else if (index === 9) this.cardSale(A, { outcome: 'no-answer', entryMode: '071' }); // reversed by the next call
      else if (index === 11 || index === 35) {
        const sale = this.cardSale(A);
        this.voidOf(A, sale);
      } else if (index === 15) this.refundOf(A, day2Sale, 5_800);
      else if (index === 19) this.qrRefundOf(A, day2Wechat, day2Wechat.amount);
      else if (index === 23) this.preAuthDay2 = this.preAuth(A, 120_000);
      else if (index === 27) this.cardSale(A, { outcome: 'declined' });
      else if (index === 31) this.cardSale(B, { amount: 168_000, entryMode: '051' }); // signature, not 免签
      else if (index === 40) this.balanceInquiry();
      else if (index % 9 === 7) this.cardSale(B);
      else this.randomPayment(A);
    }
    this.cardSale(A, { amount: 3_650 });
    this.mark('day2-before-settlement');
    this.settle(B, { hostSettleEqual: 1 });
    this.mark('day2-B-settled');
    this.settle(A, { hostSettleEqual: 0 });
    this.mark('day2-settled');

    // Day 3, Tuesday 2024-09-10: open batches A 000013 and B 000001, ending on a timed-out sale
    // whose reversal is still pending (reversal_pending row + reversal_status PENDING).
    this.logon('2024-09-10');
    this.randomPayment(A);
    this.refundOf(A, day2Sale, 4_000); // original settled away: REFUND_ORPHAN unless recovered
    this.completionOf(A, this.preAuthDay2, 118_600); // original settled away
    {
      const sale = this.cardSale(A);
      this.voidOf(A, sale);
    }
    {
      const wechat = this.qrPayment(A, 'WECHAT');
      this.qrRefundOf(A, wechat, Math.floor(wechat.amount / 2 / 10) * 10);
    }
    this.cardSale(B, { entryMode: '051' });
    this.mark('day3-morning');
    for (let index = 0; index < 26; index += 1) {
      if (index === 4) {
        const preAuth = this.preAuth(A, 30_000);
        const completion = this.completionOf(A, preAuth, 28_850);
        this.voidOf(A, completion, 'VOID_AUTH_COMPLETE', 1);
      } else if (index === 10) {
        const sale = this.cardSale(A);
        this.voidOf(A, sale);
      } else if (index === 15) {
        const preAuth = this.preAuth(A, 20_000);
        this.voidOf(A, preAuth, 'VOID_PRE_AUTH', 1);
      } else if (index === 20) this.cardSale(A, { outcome: 'declined' });
      else if (index % 8 === 6) this.cardSale(B);
      else this.randomPayment(A);
    }
    this.cardSale(A, { outcome: 'no-answer', amount: 8_880, entryMode: '071' });
    this.mark('day3-end');
  }

  /**
   * After day 3: the pending reversal is sent and committed, then a settlement of batch A
   * 000013 run as ONE transaction (BEGIN … no COMMIT): the hot-journal variant captures it.
   */
  interruptedSettlementSql() {
    const A = this.merchantA;
    this.advance(5, 20);
    this.resolvePendingReversal();
    const trace = this.consumeTrace();
    this.mark('day3-reversal-sent');
    const rows = this.batchRows(A);
    const lines = ['BEGIN;', `UPDATE merchant_batch SET settle_step=1 WHERE id=${A.merchantBatchId};`];
    lines.push(`INSERT INTO batch_total(mid, tid, batch_no, batch_time, closed, sale_num, sale_amount, void_num, void_amount, refund_num, refund_amount, auth_complete_num, auth_complete_amount, qr_num, qr_amount, debit_num, debit_amount, credit_num, credit_amount, host_settle_equal)
VALUES (${[A.mid, A.tid, six(A.batchNumber), `${localDate(this.clock)}${localTime(this.clock)}`, 1, ...totalsColumns(batchTotals(rows)), 0].map(sqlValue).join(', ')});`);
    lines.push(`UPDATE merchant_batch SET settle_step=2, settle_equal=0 WHERE id=${A.merchantBatchId};`);
    for (const row of rows) lines.push(`UPDATE trans_record SET batch_up_flag=1, send_times=send_times+1 WHERE id=${row.truth.id};`);
    lines.push(`UPDATE merchant_batch SET settle_step=3, settle_date=${sqlValue(localDate(this.clock))}, settle_time=${sqlValue(localTime(this.clock))}, last_receipt=${sqlValue(trace)} WHERE id=${A.merchantBatchId};`);
    lines.push(`UPDATE merchant_batch SET batch_no=${sqlValue(six(nextSixDigit(A.batchNumber)))}, settle_step=0 WHERE id=${A.merchantBatchId};`);
    lines.push(`DELETE FROM trans_record WHERE mid=${sqlValue(A.mid)} AND tid=${sqlValue(A.tid)};`);
    return { sql: lines.join('\n'), rowsInTransaction: rows.length };
  }
}

// ---------------------------------------------------------------------------------------------
// sqlite3 plumbing.

function runSqlite(workDirectory, databaseName, script) {
  const result = spawnSync(sqlite3Path, ['-batch', '-bail', databaseName], {
    cwd: workDirectory,
    input: `PRAGMA secure_delete=OFF;\n${script}\n`,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`sqlite3 failed (${result.status}): ${result.stderr}`);
  if (result.stderr.trim() !== '') throw new Error(`sqlite3 wrote to stderr: ${result.stderr}`);
  return result.stdout;
}

/** A read-only query on a URI (always a copy): returns stdout, or throws with stderr. */
function querySqlite(uri, sql, options = []) {
  const result = spawnSync(sqlite3Path, ['-batch', ...options, uri, sql], { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0 || result.stderr.trim() !== '') throw new Error(result.stderr.trim() || `sqlite3 exit ${result.status}`);
  return result.stdout;
}

function scriptUntil(events, stopMark, injections = {}) {
  const parts = [];
  for (const event of events) {
    if ('mark' in event) {
      if (injections[event.mark] !== undefined) parts.push(injections[event.mark]);
      if (event.mark === stopMark) return parts.join('\n');
      continue;
    }
    parts.push(event.sql);
  }
  if (stopMark !== null) throw new Error(`mark not found: ${stopMark}`);
  return parts.join('\n');
}

/** Live rows per table, read by sqlite3 from a private copy. Never the sample file itself. */
function liveCounts(files, { mode }) {
  const directory = mkdtempSync(join(tmpdir(), 'exhume-samples-oracle-'));
  try {
    const copy = join(directory, 'copy.db');
    copyFileSync(files.database, copy);
    if (files.wal !== undefined) copyFileSync(files.wal, `${copy}-wal`);
    if (files.journal !== undefined) copyFileSync(files.journal, `${copy}-journal`);
    // immutable: main file only; ro: committed WAL applied; rollback: a read-write open of the
    // copy, which makes SQLite roll the hot journal back into the copy.
    const uri = mode === 'immutable' ? `file:${copy}?immutable=1` : mode === 'ro' ? `file:${copy}?mode=ro` : copy;
    const tables = querySqlite(uri, "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name;").split('\n').filter(Boolean);
    // Counted by a table scan (NOT INDEXED), as oracleRows reads them. In a torn file the
    // default plan for count(*) may walk an index instead and give another answer.
    const counts = {};
    const countsByDefaultPlan = {};
    for (const table of tables) {
      counts[table] = Number(querySqlite(uri, `SELECT count(*) FROM "${table}" NOT INDEXED;`).trim());
      countsByDefaultPlan[table] = Number(querySqlite(uri, `SELECT count(*) FROM "${table}";`).trim());
    }
    const transRecordIds = tables.includes('trans_record')
      ? querySqlite(uri, 'SELECT id FROM trans_record NOT INDEXED ORDER BY id;').split('\n').filter(Boolean).map(Number)
      : [];
    const pragmas = {
      encoding: querySqlite(uri, 'PRAGMA encoding;').trim(),
      pageSize: Number(querySqlite(uri, 'PRAGMA page_size;').trim()),
      pageCount: Number(querySqlite(uri, 'PRAGMA page_count;').trim()),
      freelistCount: Number(querySqlite(uri, 'PRAGMA freelist_count;').trim()),
      integrityCheck: querySqlite(uri, 'PRAGMA integrity_check;').trim(),
    };
    return { counts, countsByDefaultPlan, transRecordIds, pragmas };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function sqliteErrorFor(databasePath) {
  const directory = mkdtempSync(join(tmpdir(), 'exhume-samples-oracle-'));
  try {
    const copy = join(directory, 'copy.db');
    copyFileSync(databasePath, copy);
    try {
      querySqlite(`file:${copy}?immutable=1`, 'SELECT count(*) FROM sqlite_schema;');
      return null;
    } catch (error) {
      return String(error.message).replace(/^Error: (in prepare, )?/, '').trim();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Per-page facts from dbstat on a copy: which b-tree owns each page and how many cells it has. */
function pageMap(databasePath) {
  const directory = mkdtempSync(join(tmpdir(), 'exhume-samples-oracle-'));
  try {
    const copy = join(directory, 'copy.db');
    copyFileSync(databasePath, copy);
    const out = querySqlite(`file:${copy}?immutable=1`, 'SELECT name, pageno, pagetype, ncell FROM dbstat ORDER BY pageno;', ['-json']);
    return JSON.parse(out);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The records of a rollback journal (sqlite.md §3), segment by segment: each record's page
 * number and the nonce its checksum implies (checksum minus the sampled page bytes), so that a
 * reader can see which records belong together even where a header is zeroed. Header states:
 * `intact` (magic present), `unsynced` (SQLite writes a new header with magic and record count
 * zero and fills them in only when it syncs the journal), `zeroed` (PERSIST commit: 28 zero bytes).
 */
function journalLayout(journalPath, databasePageSize, maximumPageNumber) {
  const bytes = readFileSync(journalPath);
  const magic = 'd9d505f920a163d7';
  const recordSize = databasePageSize + 8;
  const impliedNonce = (recordOffset) => {
    let sum = 0;
    for (let index = databasePageSize - 200; index > 0; index -= 200) sum = (sum + bytes[recordOffset + 4 + index]) >>> 0;
    return ((bytes.readUInt32BE(recordOffset + 4 + databasePageSize) - sum) >>> 0).toString(16).padStart(8, '0');
  };
  const plausibleRecordAt = (offset) => {
    if (offset + recordSize > bytes.length) return false;
    const pageNumber = bytes.readUInt32BE(offset);
    return pageNumber >= 1 && pageNumber <= maximumPageNumber;
  };
  const headerStateAt = (offset, sectorSize) => {
    if (offset + 28 > bytes.length) return null;
    if (bytes.subarray(offset, offset + 8).toString('hex') === magic) return 'intact';
    const zeroPrefix = bytes.subarray(offset, offset + 12).every((byte) => byte === 0);
    if (zeroPrefix && bytes.readUInt32BE(offset + 20) === sectorSize && bytes.readUInt32BE(offset + 24) === databasePageSize) return 'unsynced';
    if (offset === 0 && bytes.subarray(0, 28).every((byte) => byte === 0)) return 'zeroed';
    return null;
  };
  let sectorSize = bytes.length >= 28 ? bytes.readUInt32BE(20) : 0;
  if (sectorSize === 0) {
    // Zeroed header: the sector size is where the first record starts; two consecutive records
    // of one transaction imply the same nonce.
    for (let candidate = 512; candidate <= 65536; candidate *= 2) {
      if (!plausibleRecordAt(candidate)) continue;
      if (plausibleRecordAt(candidate + recordSize) && impliedNonce(candidate) !== impliedNonce(candidate + recordSize)) continue;
      sectorSize = candidate;
      break;
    }
  }
  const segments = [];
  let offset = 0;
  while (sectorSize > 0) {
    const state = headerStateAt(offset, sectorSize);
    if (state === null) break;
    const recordCountField = state === 'zeroed' ? null : bytes.readUInt32BE(offset + 8);
    const exactCount = state === 'intact' && recordCountField !== 0 && recordCountField !== 0xffffffff;
    const records = [];
    let position = offset + sectorSize;
    while (plausibleRecordAt(position)) {
      if (exactCount && records.length >= recordCountField) break;
      if (!exactCount && position % sectorSize === 0 && headerStateAt(position, sectorSize) !== null && records.length > 0) break;
      records.push([bytes.readUInt32BE(position), impliedNonce(position)]);
      position += recordSize;
    }
    segments.push({
      headerOffset: offset,
      headerState: state,
      recordCountField,
      nonce: state === 'zeroed' ? null : bytes.readUInt32BE(offset + 12).toString(16).padStart(8, '0'),
      databaseSizeBeforeInPages: state === 'zeroed' ? null : bytes.readUInt32BE(offset + 16),
      recordsFound: records.length,
      endOffset: position,
      records,
    });
    if (records.length === 0) break;
    offset = Math.ceil(position / sectorSize) * sectorSize;
  }
  return { sizeInBytes: bytes.length, sectorSize, segments };
}

/**
 * Counts what sqlite3 reads after writing one transaction's journal pre-images (the records whose
 * implied nonce is `nonce`) back over a private copy of the database: the state before that
 * transaction, proving that the journal really holds it.
 */
function countsWithPreImages(databasePath, journalPath, journal, nonce) {
  const directory = mkdtempSync(join(tmpdir(), 'exhume-samples-oracle-'));
  try {
    const database = Buffer.from(readFileSync(databasePath));
    const bytes = readFileSync(journalPath);
    const recordSize = pageSize + 8;
    let applied = 0;
    for (const segment of journal.segments) {
      segment.records.forEach(([pageNumber, recordNonce], index) => {
        if (recordNonce !== nonce) return;
        const at = segment.headerOffset + journal.sectorSize + index * recordSize + 4;
        bytes.copy(database, (pageNumber - 1) * pageSize, at, at + pageSize);
        applied += 1;
      });
    }
    const copy = join(directory, 'restored.db');
    writeFileSync(copy, database);
    const restoredPages = pageMap(copy);
    return { applied, restoredPages, ...liveCounts({ database: copy }, { mode: 'immutable' }) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Variants.

function buildVariants(scenario, buildDirectory) {
  const results = {};
  const events = scenario.events;

  // 1. pos-ledger: TRUNCATE (the Newland template), whole timeline, clean close.
  {
    const work = join(buildDirectory, 'work-ledger');
    const out = join(buildDirectory, 'pos-ledger');
    mkdirSync(work);
    mkdirSync(out);
    runSqlite(work, 'trans.db', `PRAGMA journal_mode=TRUNCATE;\n${scriptUntil(events, 'day3-end')}`);
    if (existsSync(join(work, 'trans.db-journal')) && statSync(join(work, 'trans.db-journal')).size !== 0) throw new Error('TRUNCATE left a non-empty journal');
    copyFileSync(join(work, 'trans.db'), join(out, 'trans.db'));
    results.ledger = { mark: 'day3-end' };
  }

  // 2. pos-wal: WAL with autocheckpoint off. Checkpoint (TRUNCATE) just before day 2's
  //    settlements, then the settlements (UPDATEs and the DELETE) and day 3 go to the WAL only.
  {
    const work = join(buildDirectory, 'work-wal');
    const out = join(buildDirectory, 'pos-wal');
    mkdirSync(work);
    mkdirSync(out);
    const script = [
      'PRAGMA journal_mode=WAL;',
      'PRAGMA wal_autocheckpoint=0;',
      scriptUntil(events, 'day3-morning', { 'day2-before-settlement': 'PRAGMA wal_checkpoint(TRUNCATE);' }),
      // Copy while the connection is open: closing would checkpoint and delete the -wal.
      `.shell cp trans.db ${join(out, 'trans.db')} && cp trans.db-wal ${join(out, 'trans.db-wal')}`,
    ].join('\n');
    runSqlite(work, 'trans.db', script);
    results.wal = { mark: 'day3-morning', checkpointMark: 'day2-before-settlement' };
  }

  // 3. pos-hot-journal: DELETE mode, whole timeline committed, the reversal sent, then the
  //    settlement of batch A 000013 as one transaction with a tiny page cache, so that modified
  //    pages spill into the database file before the commit. Copy both files mid-transaction.
  {
    const work = join(buildDirectory, 'work-hot');
    const out = join(buildDirectory, 'pos-hot-journal');
    mkdirSync(work);
    mkdirSync(out);
    const script = [
      'PRAGMA journal_mode=DELETE;',
      scriptUntil(events, 'day3-reversal-sent'),
      'PRAGMA cache_size=1;',
      scenario.interrupted.sql,
      `.shell cp trans.db ${join(out, 'trans.db')} && cp trans.db-journal ${join(out, 'trans.db-journal')}`,
      // The session ends without COMMIT: the temp database rolls back; the copies keep the cut.
    ].join('\n');
    runSqlite(work, 'trans.db', script);
    results.hot = { mark: 'day3-reversal-sent', committedDatabase: join(work, 'trans.db') };
  }

  // 4. pos-damaged: pos-ledger after a botched firmware upgrade: page 1 zeroed, file cut mid-page.
  {
    const out = join(buildDirectory, 'pos-damaged');
    mkdirSync(out);
    const original = readFileSync(join(buildDirectory, 'pos-ledger', 'trans.db'));
    const pageCount = original.length / pageSize;
    const keptWholePages = Math.floor((pageCount * 3) / 4);
    const cutOffset = keptWholePages * pageSize + 1234;
    const damaged = Buffer.from(original.subarray(0, cutOffset));
    damaged.fill(0, 0, pageSize);
    writeFileSync(join(out, 'trans.db'), damaged);
    results.damaged = { mark: 'day3-end', originalPageCount: pageCount, keptWholePages, cutOffset };
  }

  // 5. pos-persist: PERSIST, days 1–2, closed right after A's settlement DELETE: the journal's
  //    header is zeroed but its page records are the DELETE's pre-images.
  {
    const work = join(buildDirectory, 'work-persist');
    const out = join(buildDirectory, 'pos-persist');
    mkdirSync(work);
    mkdirSync(out);
    runSqlite(work, 'trans.db', `PRAGMA journal_mode=PERSIST;\n${scriptUntil(events, 'day2-settled')}`);
    copyFileSync(join(work, 'trans.db'), join(out, 'trans.db'));
    copyFileSync(join(work, 'trans.db-journal'), join(out, 'trans.db-journal'));
    results.persist = { mark: 'day2-settled' };
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Checks and manifest.

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: sqlite3 read ${a}, the scenario expected ${e}`);
}

function truthAt(scenario, mark) {
  const truth = scenario.marks.get(mark);
  if (truth === undefined) throw new Error(`no ground truth for ${mark}`);
  return truth;
}

function groundTruthSummary(truth) {
  return {
    transRecordInserted: truth.transRecordInserted,
    transRecordDeletedBySettlement: truth.transRecordDeletedBySettlement,
    transRecordLive: truth.liveTransRecordIds.length,
    liveTransRecordIdRange: truth.liveTransRecordIds.length === 0 ? null : [truth.liveTransRecordIds[0], truth.liveTransRecordIds.at(-1)],
    settlements: truth.settlements,
  };
}

function transRecordTable(scenario) {
  return [...scenario.rows.values()].map((row) => ({
    id: row.truth.id,
    tid: row.tid,
    batchNo: row.batch_no,
    traceNo: row.trace_no,
    transType: row.trans_type,
    payChannel: row.pay_channel,
    amount: row.amount,
    status: row.status,
    reversalStatus: row.reversal_status,
    respCode: row.resp_code,
    refNo: row.ref_no,
    outTradeNo: row.out_trade_no,
    transDate: row.trans_date,
    transTime: row.trans_time,
    deletedBy: row.truth.deletedBy,
  }));
}

function main() {
  const version = spawnSync(sqlite3Path, ['-version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`cannot run ${sqlite3Path}`);
  const sqliteVersion = version.stdout.trim();

  const scenario = new Scenario(createRandom(seed));
  scenario.build();
  const transRecords = transRecordTable(scenario);
  // The tail used only by the hot-journal variant; built after `build()` so it cannot change
  // any earlier random draw.
  scenario.interrupted = scenario.interruptedSettlementSql();
  const interruptedRows = scenario.interrupted.rowsInTransaction;

  const buildDirectory = mkdtempSync(join(tmpdir(), 'exhume-samples-'));
  try {
    const results = buildVariants(scenario, buildDirectory);
    const at = (...parts) => join(buildDirectory, ...parts);
    const databases = [];

    // --- pos-ledger ---
    {
      const truth = truthAt(scenario, 'day3-end');
      const main = liveCounts({ database: at('pos-ledger', 'trans.db') }, { mode: 'immutable' });
      assertEqual(main.transRecordIds, truth.liveTransRecordIds, 'pos-ledger live trans_record ids');
      assertEqual(main.counts.reversal_pending, 1, 'pos-ledger reversal_pending');
      if (main.pragmas.integrityCheck !== 'ok') throw new Error('pos-ledger integrity check failed');
      databases.push({
        path: 'pos-ledger/trans.db',
        siblings: [],
        shows: 'A cleanly closed TRUNCATE-mode ledger: two settled batches of merchant A and one of merchant B survive only as deleted cells and freelist pages; the open batches are live, ending on a pending reversal.',
        journalMode: 'truncate',
        pageSize,
        encoding: main.pragmas.encoding,
        pageCount: main.pragmas.pageCount,
        freelistPageCount: main.pragmas.freelistCount,
        liveRows: { main: main.counts },
        groundTruth: { timelineMark: 'day3-end', ...groundTruthSummary(truth) },
      });
      results.ledger.pageCount = main.pragmas.pageCount;
    }

    // --- pos-wal ---
    {
      const files = { database: at('pos-wal', 'trans.db'), wal: at('pos-wal', 'trans.db-wal') };
      const before = truthAt(scenario, 'day2-before-settlement');
      const after = truthAt(scenario, 'day3-morning');
      const main = liveCounts({ database: files.database }, { mode: 'immutable' });
      const withWal = liveCounts(files, { mode: 'ro' });
      assertEqual(main.transRecordIds, before.liveTransRecordIds, 'pos-wal main-file trans_record ids');
      assertEqual(withWal.transRecordIds, after.liveTransRecordIds, 'pos-wal trans_record ids with the WAL');
      const walBytes = readFileSync(files.wal);
      const frameCount = (walBytes.length - 32) / (pageSize + 24);
      if (!Number.isInteger(frameCount)) throw new Error('WAL size is not a whole number of frames');
      let commitFrames = 0;
      for (let index = 0; index < frameCount; index += 1) {
        if (walBytes.readUInt32BE(32 + index * (pageSize + 24) + 4) !== 0) commitFrames += 1;
      }
      databases.push({
        path: 'pos-wal/trans.db',
        siblings: ['pos-wal/trans.db-wal'],
        shows: 'A WAL-mode ledger copied while open: the main file stops at a checkpoint before day 2\'s settlements, and the WAL holds the settlements (UPDATEs, batch-upload flags and the DELETE) and day 3\'s first payments (a void, a refund, a QR refund).',
        journalMode: 'wal',
        pageSize,
        encoding: main.pragmas.encoding,
        pageCount: main.pragmas.pageCount,
        pageCountWithWal: withWal.pragmas.pageCount,
        freelistPageCount: main.pragmas.freelistCount,
        freelistPageCountWithWal: withWal.pragmas.freelistCount,
        wal: { frameCount, commitFrameCount: commitFrames, checkpointedAtMark: 'day2-before-settlement' },
        liveRows: { main: main.counts, withWal: withWal.counts },
        groundTruth: {
          main: { timelineMark: 'day2-before-settlement', ...groundTruthSummary(before) },
          withWal: { timelineMark: 'day3-morning', ...groundTruthSummary(after) },
        },
      });
    }

    // --- pos-hot-journal ---
    {
      const files = { database: at('pos-hot-journal', 'trans.db'), journal: at('pos-hot-journal', 'trans.db-journal') };
      const truth = truthAt(scenario, 'day3-reversal-sent');
      const committed = liveCounts({ database: results.hot.committedDatabase }, { mode: 'immutable' });
      const rolledBack = liveCounts(files, { mode: 'rollback' });
      assertEqual(rolledBack.transRecordIds, truth.liveTransRecordIds, 'pos-hot-journal trans_record ids after rollback');
      assertEqual(rolledBack.counts, committed.counts, 'pos-hot-journal rollback vs the committed database');
      let main = null;
      let mainError = null;
      try {
        main = liveCounts({ database: files.database }, { mode: 'immutable' });
      } catch (error) {
        mainError = String(error.message);
      }
      // Which pages of the cut database differ from the committed state (the spilled pages)?
      const cut = readFileSync(files.database);
      const good = readFileSync(results.hot.committedDatabase);
      const spilledPages = [];
      for (let page = 1; page <= Math.max(cut.length, good.length) / pageSize; page += 1) {
        const a = cut.subarray((page - 1) * pageSize, page * pageSize);
        const b = good.subarray((page - 1) * pageSize, page * pageSize);
        if (!a.equals(b)) spilledPages.push(page);
      }
      const journal = journalLayout(files.journal, pageSize, Math.max(cut.length, good.length) / pageSize);
      // Every journaled record must be the committed page (a pre-image), and every spilled page
      // must have its pre-image in a synced segment, or a rollback could not restore it.
      const journalBytes = readFileSync(files.journal);
      const preImagePages = new Set();
      for (const segment of journal.segments) {
        segment.records.forEach(([pageNumber], index) => {
          const at = segment.headerOffset + journal.sectorSize + index * (pageSize + 8) + 4;
          const committedPage = good.subarray((pageNumber - 1) * pageSize, pageNumber * pageSize);
          if (!journalBytes.subarray(at, at + pageSize).equals(committedPage)) throw new Error(`hot journal: record for page ${pageNumber} is not its pre-image`);
          if (segment.headerState === 'intact') preImagePages.add(pageNumber);
        });
      }
      for (const page of spilledPages) if (!preImagePages.has(page)) throw new Error(`hot journal: spilled page ${page} has no synced pre-image`);
      if (spilledPages.length === 0) throw new Error('hot journal: no page spilled into the database; the journal holds nothing the file lacks');
      if (main !== null && JSON.stringify(main.counts) === JSON.stringify(rolledBack.counts)) throw new Error('hot journal: the torn file reads like the committed one');
      databases.push({
        path: 'pos-hot-journal/trans.db',
        siblings: ['pos-hot-journal/trans.db-journal'],
        shows: 'A power cut during a one-transaction settlement in DELETE mode: modified pages already spilled into the torn database file (integrity_check fails; a table scan and count(*) disagree), and the hot journal holds their pre-images, so a rollback restores the committed ledger.',
        journalMode: 'delete',
        pageSize,
        encoding: rolledBack.pragmas.encoding,
        pageCount: cut.length / pageSize,
        pageCountAfterRollback: rolledBack.pragmas.pageCount,
        spilledPages,
        journal,
        interruptedTransaction: {
          description: 'BEGIN; settle_step=1; INSERT batch_total; settle_step=2; one UPDATE batch_up_flag per row; settle_step=3; batch_no 000014; DELETE FROM trans_record WHERE mid=? AND tid=? (merchant A); no COMMIT',
          transRecordRowsOfBatch: interruptedRows,
        },
        liveRows: { main: main === null ? null : main.counts, afterRollback: rolledBack.counts },
        mainCountStarByDefaultPlan: main === null ? null : main.countsByDefaultPlan,
        mainIntegrityCheck: main === null ? null : main.pragmas.integrityCheck.split('\n'),
        mainError,
        groundTruth: { afterRollback: { timelineMark: 'day3-reversal-sent', ...groundTruthSummary(truth) } },
      });
    }

    // --- pos-damaged ---
    {
      const truth = truthAt(scenario, 'day3-end');
      const error = sqliteErrorFor(at('pos-damaged', 'trans.db'));
      if (error === null) throw new Error('sqlite3 still reads the damaged sample');
      const pages = pageMap(at('pos-ledger', 'trans.db'));
      const keptWholePages = results.damaged.keptWholePages;
      const liveLeafCells = (predicate) =>
        pages.filter((page) => page.name === 'trans_record' && page.pagetype === 'leaf' && predicate(page.pageno)).reduce((total, page) => total + page.ncell, 0);
      databases.push({
        path: 'pos-damaged/trans.db',
        siblings: [],
        derivedFrom: 'pos-ledger/trans.db',
        shows: 'pos-ledger after a botched firmware upgrade: page 1 (header and schema root) zeroed and the file cut mid-page, about a quarter of its pages gone.',
        journalMode: 'truncate',
        pageSize,
        encoding: 'UTF-8',
        pageCount: null,
        damage: {
          zeroedByteRange: [0, pageSize],
          originalSizeInBytes: results.damaged.originalPageCount * pageSize,
          originalPageCount: results.damaged.originalPageCount,
          cutAtOffset: results.damaged.cutOffset,
          wholePagesKept: keptWholePages,
          partialPageNumber: keptWholePages + 1,
          partialPageBytesKept: results.damaged.cutOffset - keptWholePages * pageSize,
        },
        sqlite3Error: error,
        liveRows: { main: null },
        groundTruth: {
          timelineMark: 'day3-end',
          ...groundTruthSummary(truth),
          liveTransRecordCellsOnIntactPages: liveLeafCells((pageNumber) => pageNumber > 1 && pageNumber <= keptWholePages),
          liveTransRecordCellsOnLostPages: liveLeafCells((pageNumber) => pageNumber === 1 || pageNumber > keptWholePages),
          originalPageMap: pages.map((page) => [page.pageno, page.name, page.pagetype, page.ncell]),
        },
      });
    }

    // --- pos-persist ---
    {
      const files = { database: at('pos-persist', 'trans.db'), journal: at('pos-persist', 'trans.db-journal') };
      const truth = truthAt(scenario, 'day2-settled');
      const main = liveCounts({ database: files.database }, { mode: 'immutable' });
      assertEqual(main.transRecordIds, truth.liveTransRecordIds, 'pos-persist live trans_record ids');
      const journal = journalLayout(files.journal, pageSize, statSync(files.database).size / pageSize);
      if (journal.segments[0]?.headerState !== 'zeroed') throw new Error('PERSIST journal header is not zeroed');
      const pages = pageMap(files.database);
      // The last transaction's records come first and share one nonce; records after them with
      // another nonce are leftovers of an earlier, longer transaction (PERSIST never shrinks).
      const records = journal.segments.flatMap((segment) => segment.records);
      const lastNonce = records[0][1];
      const staleRecords = records.filter(([, nonce]) => nonce !== lastNonce).length;
      const beforeDelete = truthAt(scenario, 'day2-B-settled');
      const restored = countsWithPreImages(files.database, files.journal, journal, lastNonce);
      assertEqual(restored.transRecordIds, beforeDelete.liveTransRecordIds, 'pos-persist trans_record ids with the journal pre-images written back');
      // A leaf the DELETE freed without first rewriting it is not journaled (sqlite.md §1.9):
      // its rows come back from the database's own freelist page, not from the journal.
      const journaledPages = new Set(records.filter(([, nonce]) => nonce === lastNonce).map(([pageNumber]) => pageNumber));
      const restoredLeaves = restored.restoredPages.filter((page) => page.name === 'trans_record' && page.pagetype === 'leaf' && page.ncell > 0);
      const preImageRestore = {
        recordsWrittenBack: restored.applied,
        transRecordLeavesFromJournal: restoredLeaves.filter((page) => journaledPages.has(page.pageno)).map((page) => [page.pageno, page.ncell]),
        transRecordLeavesFromDatabaseFreelist: restoredLeaves.filter((page) => !journaledPages.has(page.pageno)).map((page) => [page.pageno, page.ncell]),
      };
      databases.push({
        path: 'pos-persist/trans.db',
        siblings: ['pos-persist/trans.db-journal'],
        shows: 'A PERSIST-mode ledger closed right after merchant A\'s settlement DELETE: the journal header is zeroed, yet its page records are the DELETE\'s pre-images; written back over a copy they make batch 000012 readable again (leaves the DELETE freed untouched were never journaled and are read from the freelist).',
        journalMode: 'persist',
        pageSize,
        encoding: main.pragmas.encoding,
        pageCount: main.pragmas.pageCount,
        freelistPageCount: main.pragmas.freelistCount,
        journal: { ...journal, lastTransactionNonce: lastNonce, lastTransactionRecordCount: records.length - staleRecords, staleRecordCount: staleRecords },
        liveRows: { main: main.counts, withLastTransactionPreImages: restored.counts },
        preImageRestore,
        groundTruth: {
          withLastTransactionPreImages: { timelineMark: 'day2-B-settled', ...groundTruthSummary(beforeDelete) },
          timelineMark: 'day2-settled',
          ...groundTruthSummary(truth),
          pageMap: pages.map((page) => [page.pageno, page.name, page.pagetype, page.ncell]),
        },
      });
    }

    // --- files, sizes, hashes ---
    const fileDescriptions = {
      'pos-ledger/trans.db': 'TRUNCATE-mode ledger, closed cleanly; settled batches deleted (secure_delete OFF), open batches live.',
      'pos-wal/trans.db': 'Main file of the WAL sample as of the last checkpoint (before day 2\'s settlements).',
      'pos-wal/trans.db-wal': 'Committed WAL frames after the checkpoint: two settlements (UPDATE, DELETE) and day 3\'s first payments, copied while the connection was open.',
      'pos-hot-journal/trans.db': 'Database file cut mid-transaction, with spilled (uncommitted) pages of an interrupted settlement.',
      'pos-hot-journal/trans.db-journal': 'Hot rollback journal (intact header) holding the pre-images of the spilled pages.',
      'pos-damaged/trans.db': 'pos-ledger with page 1 zeroed and the file truncated mid-page.',
      'pos-persist/trans.db': 'PERSIST-mode ledger after a settlement DELETE; the deleted rows remain in freed space.',
      'pos-persist/trans.db-journal': 'PERSIST journal with a zeroed header whose records are the settlement DELETE\'s pre-images.',
    };
    const files = Object.entries(fileDescriptions).map(([path, shows]) => {
      const absolute = at(...path.split('/'));
      return { path, sizeInBytes: statSync(absolute).size, sha256: sha256(absolute), shows };
    });
    const totalSize = files.reduce((total, file) => total + file.sizeInBytes, 0);
    if (totalSize > maximumTotalSizeInBytes) throw new Error(`samples total ${totalSize} bytes, over ${maximumTotalSizeInBytes}`);

    const manifest = {
      description: 'Bundled smart-POS ledger samples (pos.md §5), generated by samples/generate.mjs with the real sqlite3 CLI. Paths are relative to this manifest. Regeneration is not byte-exact (WAL salts and journal nonces are random): the committed files are pinned by SHA-256.',
      generator: 'samples/generate.mjs',
      sqliteVersion,
      seed,
      secureDelete: 0,
      totalSizeInBytes: totalSize,
      files,
      databases,
      scenario: {
        merchants: merchantDefinitions.map(({ key, mid, tid, acquirer, name, firstBatchNumber }) => ({ key, mid, tid, acquirer, merchantName: name, firstBatchNo: six(firstBatchNumber) })),
        terminalSerialNumber,
        days: ['2024-09-08', '2024-09-09', '2024-09-10'],
        timelineMarks: ['setup', 'day1-settled', 'day2-before-settlement', 'day2-B-settled', 'day2-settled', 'day3-morning', 'day3-end', 'day3-reversal-sent'],
        notes: [
          'Trace numbers are terminal-wide and wrap 999999 → 000001 on day 1; logon, balance inquiry and settlement consume traces without leaving a row (normal gaps).',
          'Merchant B settles only on day 2, and its batch wraps 999999 → 000001.',
          'Day 3 holds a REFUND and an AUTH_COMPLETE whose originals were deleted by day 2\'s settlement (their status UPDATEs matched nothing).',
          'A timed-out sale on day 2 was later reversed (reversal_status REVERSED); the last sale of day 3 is PENDING with a reversal_pending row (dup_reason 98).',
          'status / reversalStatus below are the values at the row\'s deletion, or at day3-end for live rows.',
        ],
        transRecords,
      },
    };

    // --- move into place ---
    for (const folder of ['pos-ledger', 'pos-wal', 'pos-hot-journal', 'pos-damaged', 'pos-persist']) {
      const target = join(samplesDirectory, folder);
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target);
      for (const name of readdirSync(at(folder))) copyFileSync(at(folder, name), join(target, name));
    }
    writeFileSync(join(samplesDirectory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    process.stdout.write(`wrote ${files.length} files (${totalSize} bytes) and samples/manifest.json\n`);
    for (const file of files) process.stdout.write(`  ${file.path}  ${file.sizeInBytes}  ${file.sha256.slice(0, 16)}\n`);
  } finally {
    rmSync(buildDirectory, { recursive: true, force: true });
  }
}

main();
