export * from './offsets.js';
export * from './limits.js';
export * from './read.js';
export * from './varint.js';
export * from './sha256.js';
export * from './decode.js';
