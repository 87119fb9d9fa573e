import type { CommandModule } from 'yargs';
import { formatOffset } from '../../bytes/offsets.js';
import { issueImageOffset } from '../../issues/issue.js';
import type { Issue } from '../../issues/issue.js';
import { filePath } from '../../provenance/path.js';
import { FileSource } from '../../sources/file-source.js';
import { hashFile } from '../../sources/hash.js';
import { expandInputs } from '../../sources/inputs.js';
import { classifyInput } from '../../pipeline/classify.js';
import { describeDatabase } from '../../pipeline/scan-database.js';
import { lockBytePageNumber, pointerMapPageNumbers } from '../../formats/sqlite/freelist.js';
import { CliUsageError, ExitCode } from '../handle-errors.js';

interface InfoArguments {
  readonly inputs: string[];
  readonly json: boolean;
}

const encodingNames = { 1: 'UTF-8', 2: 'UTF-16le', 3: 'UTF-16be' } as const;

export async function runInfo(argv: InfoArguments): Promise<number> {
  const expanded = expandInputs(argv.inputs);
  if (expanded.unreadable.length > 0) {
    throw new CliUsageError(expanded.unreadable.map((entry) => `cannot read ${entry.location}: ${entry.message}`).join('; '));
  }
  const out: Record<string, unknown>[] = [];
  let worst: number = ExitCode.done;
  for (const group of expanded.groups) {
    const file = group.main;
    const hashes = await hashFile(file.fileSystemPath);
    const source = new FileSource(file.fileSystemPath, file.location);
    const entry: Record<string, unknown> = { path: file.location, sizeInBytes: file.sizeInBytes, sha256: hashes.sha256, md5: hashes.md5 };
    let issues: Issue[] = [];
    try {
      const kind = classifyInput(source.read(0, 100));
      entry['kind'] = kind;
      if (kind === 'sqlite-database') {
        const described = describeDatabase(source, file.location, filePath(file.location));
        issues = described.issues;
        const summary = described.summary;
        if (summary !== undefined) {
          const header = summary.header;
          entry['pageSize'] = header.pageSize;
          entry['usableSize'] = header.usableSize;
          entry['encoding'] = encodingNames[header.encoding];
          entry['pageCountInFile'] = summary.pageCountInFile;
          entry['pageCountInHeader'] = header.databaseSizeInPagesField;
          entry['headerPageCountTrusted'] = header.trustedDatabaseSizeInPages !== undefined;
          entry['journalMode'] = header.writeVersion === 2 ? 'wal' : 'rollback';
          entry['autoVacuum'] = header.largestRootBtreePage === 0 ? 'none' : header.incrementalVacuumMode !== 0 ? 'incremental' : 'full';
          entry['sqliteVersion'] = header.sqliteVersionNumber;
          entry['userVersion'] = header.userVersion;
          const pointerMapPages = header.largestRootBtreePage === 0 ? [] : pointerMapPageNumbers(header.usableSize, summary.pageCountInFile);
          entry['pointerMapPages'] = pointerMapPages;
          entry['lockBytePage'] = summary.pageCountInFile >= lockBytePageNumber(header.pageSize) ? lockBytePageNumber(header.pageSize) : null;
          entry['freelist'] = { headerCount: header.freelistPageCount, trunkPages: summary.freelistTrunkPages.length, leafPages: summary.freelistLeafPages.length };
          entry['schema'] = summary.schema.entries.map((schemaEntry) => ({ type: schemaEntry.type, name: schemaEntry.name, table: schemaEntry.tableName, rootPage: schemaEntry.rootPageNumber, sql: schemaEntry.sql }));
          entry['tables'] = summary.tables.map((table) => ({ name: table.table.entry.name, leafPages: table.leaves.length, interiorPages: table.interiorPageNumbers.length, withoutRowid: table.table.decode.withoutRowid }));
        }
      }
    } finally {
      source.close();
    }
    const siblings: Record<string, unknown> = {};
    for (const [name, sibling] of [['wal', group.wal], ['journal', group.journal], ['shm', group.shm]] as const) {
      if (sibling === undefined) continue;
      const siblingHashes = await hashFile(sibling.fileSystemPath);
      siblings[name] = { path: sibling.location, sizeInBytes: sibling.sizeInBytes, sha256: siblingHashes.sha256, md5: siblingHashes.md5 };
    }
    entry['siblings'] = siblings;
    entry['issues'] = issues.map((problem) => ({ code: problem.code, severity: problem.severity, imageOffset: issueImageOffset(problem), message: problem.message }));
    if (issues.some((problem) => problem.severity === 'error')) worst = ExitCode.doneWithErrors;
    out.push(entry);
  }
  if (argv.json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    for (const entry of out) process.stdout.write(renderText(entry));
  }
  return worst;
}

function renderText(entry: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(`${String(entry['path'])}`);
  lines.push(`  kind:        ${String(entry['kind'])}`);
  lines.push(`  size:        ${String(entry['sizeInBytes'])} bytes`);
  lines.push(`  sha256:      ${String(entry['sha256'])}`);
  lines.push(`  md5:         ${String(entry['md5'])}`);
  if (entry['pageSize'] !== undefined) {
    lines.push(`  page size:   ${String(entry['pageSize'])} (usable ${String(entry['usableSize'])})`);
    lines.push(`  encoding:    ${String(entry['encoding'])}`);
    lines.push(`  pages:       ${String(entry['pageCountInFile'])} in file, ${String(entry['pageCountInHeader'])} in header${entry['headerPageCountTrusted'] === true ? '' : ' (not trusted)'}`);
    lines.push(`  journaling:  ${String(entry['journalMode'])}; auto-vacuum ${String(entry['autoVacuum'])}`);
    const freelist = entry['freelist'] as { headerCount: number; trunkPages: number; leafPages: number };
    lines.push(`  freelist:    ${freelist.trunkPages} trunk + ${freelist.leafPages} leaf pages (header says ${freelist.headerCount})`);
    const pointerMap = entry['pointerMapPages'] as number[];
    if (pointerMap.length > 0) lines.push(`  pointer map: ${pointerMap.length} page(s): ${pointerMap.slice(0, 8).join(', ')}${pointerMap.length > 8 ? ', …' : ''}`);
    lines.push('  schema:');
    for (const item of entry['schema'] as { type: string; name: string; rootPage: number; sql: string | null }[]) {
      lines.push(`    ${item.type.padEnd(8)} ${item.name} (root page ${item.rootPage})`);
    }
  }
  const siblings = entry['siblings'] as Record<string, { path: string; sizeInBytes: number; sha256: string }>;
  for (const [name, sibling] of Object.entries(siblings)) lines.push(`  ${name.padEnd(12)} ${sibling.path} (${sibling.sizeInBytes} bytes, sha256 ${sibling.sha256})`);
  for (const problem of entry['issues'] as { code: string; severity: string; imageOffset: number | undefined; message: string }[]) {
    lines.push(`  ${problem.severity}: ${problem.code} at ${problem.imageOffset === undefined ? '-' : formatOffset(problem.imageOffset)}: ${problem.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export const infoCommand: CommandModule<object, InfoArguments> = {
  command: 'info <inputs..>',
  describe: 'What each input is: kind, page size, encoding, page count, schema, freelist, WAL/journal siblings, hashes',
  builder: (yargs) =>
    yargs
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'files or folders' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }) as never,
  handler: async (argv) => {
    process.exitCode = await runInfo(argv);
  },
};
