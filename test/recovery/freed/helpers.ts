/** Shared builders for the freed-records tests: signatures from CREATE statements, contexts, freeblock headers. */
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import { parseCreateTable } from '../../../src/formats/sqlite/schema.js';
import type { FreedCarveContext } from '../../../src/recovery/freed/build-record.js';
import type { RecordSignature } from '../../../src/recovery/freed/signature.js';
import { tableSignature } from '../../../src/recovery/freed/signature.js';
import { tableDecodeInfo } from '../../../src/recovery/table-info.js';
import { filePath, extendPath } from '../../../src/provenance/path.js';
import type { SourcePath } from '../../../src/provenance/path.js';

export function signatureOf(sql: string): RecordSignature {
  const parsed = parseCreateTable(sql);
  if (!parsed.ok) throw new Error(parsed.problem);
  return tableSignature(tableDecodeInfo(parsed.schema), parsed.schema, sql);
}

export function contextOf(image: Uint8Array, pageSize = 512, encoding: 1 | 2 | 3 = 1): FreedCarveContext {
  return { databaseName: 'test.db', usableSize: pageSize, encoding, reader: new MemoryPageReader(image, pageSize), pageRoles: undefined };
}

export function pagePathOf(pageNumber: number, pageSize = 512): SourcePath {
  return extendPath(filePath('test.db'), { kind: 'sqlite-page', pageNumber, pageSize });
}

/** Overwrites the first 4 bytes at `at` with a freeblock header (next, size), as SQLite's freeSpace() does. */
export function writeFreeblockHeader(page: Uint8Array, at: number, next: number, size: number): void {
  page[at] = next >> 8;
  page[at + 1] = next & 0xff;
  page[at + 2] = size >> 8;
  page[at + 3] = size & 0xff;
}
