import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

/** Pool tests load compiled workers from dist/ (Node 20 cannot load .ts workers). */
export default function setup(): void {
  if (process.env['EXHUME_SKIP_BUILD'] === '1' && existsSync('dist/workers') && statSync('dist/workers').isDirectory()) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
