export * from './layout.js';
export * from './checksum.js';
export * from './issue-codes.js';
export * from './parse-wal.js';
export * from './frame-list.js';
