export * from './layout.js';
export * from './issue-codes.js';
export * from './parse-journal.js';
