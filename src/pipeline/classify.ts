/**
 * What an input file is, from its first bytes: a SQLite database, a WAL, a rollback journal, or
 * something else (a raw image or an unknown file).
 */
import { u32be } from '../bytes/read.js';
import { hasSqliteMagic } from '../formats/sqlite/parse-header.js';

export type InputKind = 'sqlite-database' | 'sqlite-wal' | 'sqlite-journal' | 'empty' | 'unknown';

const journalMagic = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

export function classifyInput(firstBytes: Uint8Array): InputKind {
  if (firstBytes.length === 0) return 'empty';
  if (hasSqliteMagic(firstBytes, 0)) return 'sqlite-database';
  const word = u32be(firstBytes, 0);
  if (word === 0x377f0682 || word === 0x377f0683) return 'sqlite-wal';
  if (firstBytes.length >= 8 && journalMagic.every((byte, index) => firstBytes[index] === byte)) return 'sqlite-journal';
  return 'unknown';
}
