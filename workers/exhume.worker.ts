export { runTask as default } from '../src/pool/run-task.js';
