/**
 * The scan's progress bar: on stderr when it is a terminal, silent otherwise (or with `quiet`).
 * One line, redrawn at most every `intervalMilliseconds`: bytes done of the total, rate, hits and
 * time left. Rendering is a pure function (`renderProgress`) so tests pin the text.
 */

export interface ProgressState {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly hits: number;
  readonly elapsedMilliseconds: number;
  /** What the bar is measuring (e.g. "scan", "hash"). */
  readonly label: string;
}

export interface ProgressWriter {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Never draw. */
  readonly quiet?: boolean;
  /** Where to draw; default process.stderr. Drawn only when `isTTY` is true. */
  readonly stream?: ProgressWriter;
  readonly intervalMilliseconds?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

const units = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(value: number): string {
  let scaled = value;
  let unit = 0;
  while (scaled >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${unit === 0 ? scaled.toFixed(0) : scaled.toFixed(scaled >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const two = (value: number): string => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${two(minutes)}:${two(rest)}` : `${two(minutes)}:${two(rest)}`;
}

/** One line: `scan [#####-----]  48% 1.2 GB/2.5 GB 410 MB/s 12 hits ETA 00:03`. */
export function renderProgress(state: ProgressState, width = 80): string {
  const fraction = state.bytesTotal > 0 ? Math.min(1, state.bytesDone / state.bytesTotal) : 1;
  const seconds = state.elapsedMilliseconds / 1000;
  const rate = seconds > 0 ? state.bytesDone / seconds : 0;
  const left = rate > 0 ? (state.bytesTotal - state.bytesDone) / rate : Number.NaN;
  const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(state.bytesDone)}/${formatBytes(state.bytesTotal)} ${formatBytes(rate)}/s ${state.hits} hits ETA ${formatDuration(left)}`;
  const barWidth = Math.max(10, Math.min(30, width - tail.length - state.label.length - 4));
  const filled = Math.round(fraction * barWidth);
  return `${state.label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
}

export class ProgressBar {
  readonly #stream: ProgressWriter | undefined;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #started: number;
  #lastDrawn = Number.NEGATIVE_INFINITY;
  #drawnLength = 0;

  constructor(options: ProgressOptions = {}) {
    const stream = options.stream ?? process.stderr;
    this.#stream = options.quiet === true || stream.isTTY !== true ? undefined : stream;
    this.#interval = options.intervalMilliseconds ?? 100;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  get active(): boolean {
    return this.#stream !== undefined;
  }

  update(bytesDone: number, bytesTotal: number, hits: number, label = 'scan', force = false): void {
    if (this.#stream === undefined) return;
    const now = this.#now();
    if (!force && now - this.#lastDrawn < this.#interval) return;
    this.#lastDrawn = now;
    const line = renderProgress({ bytesDone, bytesTotal, hits, elapsedMilliseconds: now - this.#started, label }, this.#stream.columns ?? 80);
    this.#stream.write(`\r${line}${' '.repeat(Math.max(0, this.#drawnLength - line.length))}`);
    this.#drawnLength = line.length;
  }

  /** Draws the final state and ends the line. */
  finish(bytesDone: number, bytesTotal: number, hits: number, label = 'scan'): void {
    if (this.#stream === undefined) return;
    this.update(bytesDone, bytesTotal, hits, label, true);
    this.#stream.write('\n');
  }
}
