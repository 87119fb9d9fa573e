export * from './path.js';
