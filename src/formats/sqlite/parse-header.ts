import { decode } from '../../bytes/decode.js';
import { formatOffset } from '../../bytes/offsets.js';
import type { Issue, ParseOutcome } from '../../issues/issue.js';
import { issue, notThisFormat } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import type { DatabaseHeaderFields, TextEncoding } from './layout.js';
import { DATABASE_HEADER_SIZE_IN_BYTES, SQLITE_MAGIC, databaseHeaderLayout } from './layout.js';

export interface DatabaseHeader extends DatabaseHeaderFields {
  /** Page size in bytes (the field value 1 means 65536). */
  readonly pageSize: number;
  /** Usable size U = page size − reserved bytes per page. */
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  /** The in-header size, when it can be trusted (non-zero and change counter == version-valid-for). */
  readonly trustedDatabaseSizeInPages: number | undefined;
}

export function hasSqliteMagic(bytes: Uint8Array, at: number): boolean {
  if (at < 0 || at + SQLITE_MAGIC.length > bytes.length) return false;
  for (let index = 0; index < SQLITE_MAGIC.length; index++) if (bytes[at + index] !== SQLITE_MAGIC[index]) return false;
  return true;
}

export function pageSizeFromField(field: number): number | undefined {
  const size = field === 1 ? 65_536 : field;
  if (size < 512 || size > 65_536 || (size & (size - 1)) !== 0) return undefined;
  return size;
}

/**
 * Parses the 100-byte database header at `at`.
 * Outcomes: not-this-format (no magic); malformed (`sqlite.header.truncated`,
 * `sqlite.header.page-size-invalid`, `sqlite.header.usable-size-invalid`); parsed with warnings
 * (`sqlite.header.payload-fractions`, `sqlite.header.encoding-invalid` → UTF-8 assumed,
).
 * An in-header size that cannot be trusted leaves `trustedDatabaseSizeInPages` undefined (callers
 * then use the file length), without an issue.
 */
export function parseDatabaseHeader(bytes: Uint8Array, at: number, path: SourcePath): ParseOutcome<DatabaseHeader> {
  if (!hasSqliteMagic(bytes, at)) return notThisFormat;
  const raw = decode<DatabaseHeaderFields>(databaseHeaderLayout, DATABASE_HEADER_SIZE_IN_BYTES, bytes, at, path, 'sqlite.header.truncated', 'SQLite header');
  if (raw.kind !== 'parsed') return raw;
  const fields = raw.value;
  const pageSize = pageSizeFromField(fields.pageSizeField);
  if (pageSize === undefined) {
    return {
      kind: 'malformed',
      issues: [
        issue('sqlite.header.page-size-invalid', 'error', path, at + 16, `SQLite header at ${formatOffset(at)}: page size field ${fields.pageSizeField} is not a power of two in 512..65536`, {
          value: fields.pageSizeField,
        }),
      ],
    };
  }
  const usableSize = pageSize - fields.reservedBytesPerPage;
  if (usableSize < 480) {
    return {
      kind: 'malformed',
      issues: [
        issue('sqlite.header.usable-size-invalid', 'error', path, at + 20, `SQLite header at ${formatOffset(at)}: ${fields.reservedBytesPerPage} reserved bytes leave a usable size of ${usableSize} (< 480)`, {
          value: fields.reservedBytesPerPage,
        }),
      ],
    };
  }
  const warnings: Issue[] = [];
  if (fields.maximumEmbeddedPayloadFraction !== 64 || fields.minimumEmbeddedPayloadFraction !== 32 || fields.leafPayloadFraction !== 32) {
    warnings.push(
      issue(
        'sqlite.header.payload-fractions',
        'warning',
        path,
        at + 21,
        `SQLite header at ${formatOffset(at)}: payload fractions ${fields.maximumEmbeddedPayloadFraction}/${fields.minimumEmbeddedPayloadFraction}/${fields.leafPayloadFraction} differ from 64/32/32`,
      ),
    );
  }
  let encoding = fields.textEncodingField as TextEncoding;
  if (fields.textEncodingField < 1 || fields.textEncodingField > 3) {
    // A fresh database whose schema was never written has 0 here; SQLite then uses UTF-8.
    if (fields.textEncodingField !== 0) {
      warnings.push(
        issue('sqlite.header.encoding-invalid', 'warning', path, at + 56, `SQLite header at ${formatOffset(at + 56)}: text encoding ${fields.textEncodingField} is not 1, 2 or 3; UTF-8 assumed`, {
          value: fields.textEncodingField,
        }),
      );
    }
    encoding = 1;
  }
  const sizeTrusted = fields.databaseSizeInPagesField !== 0 && fields.fileChangeCounter === fields.versionValidFor;
  return {
    kind: 'parsed',
    value: {
      ...fields,
      pageSize,
      usableSize,
      encoding,
      trustedDatabaseSizeInPages: sizeTrusted ? fields.databaseSizeInPagesField : undefined,
    },
    issues: warnings,
  };
}
