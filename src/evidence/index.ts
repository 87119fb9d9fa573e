export * from './record.js';
export * from './detach.js';
