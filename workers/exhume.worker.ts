export { runWireTask as default } from '../src/pool/run-task.js';
