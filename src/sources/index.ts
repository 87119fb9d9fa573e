export * from './byte-source.js';
export * from './file-source.js';
export * from './hash.js';
export * from './page-reader.js';
export * from './inputs.js';
export * from './range-source.js';
