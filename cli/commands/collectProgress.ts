/** What `audit-archive collect` shows while it runs: a progress bar on a terminal, one line per closed window on a pipe. */
import { iso } from '../../lambdas/core/archive/manifest.ts';
import type { CollectObserver, WindowReport } from '../../lambdas/core/collect/types.ts';
import type { Output, Progress } from '../output.ts';

/** The run's counters and its bar, kept in one owner rather than in closures over shared variables. */
export class CollectProgress {
  readonly #output: Output;
  readonly #location: string;
  readonly #until: number;
  readonly #started: number;
  #entries = 0;
  #windows = 0;
  #bar: Progress | undefined;
  #base = 0;
  #lastTo = 0;

  /** `started` is the run's start in epoch milliseconds: the rate is entries per second since then. */
  constructor(output: Output, location: string, until: number, started: number) {
    this.#output = output;
    this.#location = location;
    this.#until = until;
    this.#started = started;
  }

  /** The observer handed to the core's `collect()`. */
  observer(): CollectObserver {
    return {
      onStart: (info) => this.#start(info),
      onWarning: (message) => this.#output.warn(message),
      onPage: (info) => this.#page(info.kept),
      onWindowClosed: (report) => this.#windowClosed(report),
    };
  }

  stop(): void {
    this.#bar?.stop();
  }

  #start(info: { workspaceId: string; checkpoint: number; newArchive: boolean }): void {
    this.#output.info(
      `${info.newArchive ? 'new archive' : 'archive'} ${this.#location}: workspace ${info.workspaceId}, ${info.newArchive ? 'starting at' : 'continuing from'} ${iso(info.checkpoint)}, collecting up to ${iso(this.#until)}`,
    );
    this.#base = info.checkpoint;
    this.#bar = this.#output.progress(
      '{bar} {percentage}% | {entries} entries | {windows} windows | {rate}/s | ETA {eta_formatted}',
      Math.max(1, this.#until - this.#base),
      {
        entries: 0,
        windows: 0,
        rate: 0,
      },
    );
  }

  #page(kept: number): void {
    this.#entries += kept;
    const done = (this.#windows && this.#lastTo ? this.#lastTo : this.#base) - this.#base;
    this.#bar?.update(Math.max(0, done), { entries: this.#entries, windows: this.#windows, rate: this.#rate() });
  }

  #windowClosed(report: WindowReport): void {
    if (report.kind === 'window' || report.kind === 'recovery') {
      this.#windows += 1;
      this.#lastTo = report.to;
    }
    this.#bar?.update(Math.max(0, report.to - this.#base), { entries: this.#entries, windows: this.#windows, rate: this.#rate() });
    if (!this.#output.tty) this.#output.info(windowLine(report));
  }

  #rate(): number {
    return Math.round(this.#entries / Math.max(0.001, (Date.now() - this.#started) / 1000));
  }
}

/** The plain line a closed window gets when stderr is not a terminal. */
function windowLine(report: WindowReport): string {
  return (
    `${report.kind === 'late' ? 'late manifest' : report.kind === 'recovery' ? 'recovery window' : 'window'} ${iso(report.from)} – ${iso(report.to)}: ${report.records} entries` +
    `${report.quarantined ? `, ${report.quarantined} quarantined` : ''}${report.adoptedParts ? `, ${report.adoptedParts} parts adopted from an interrupted run (Intercom served every entry again)` : ''}` +
    `${report.rejectedParts ? `, ${report.rejectedParts} unlisted parts rejected (not confirmed by Intercom; never read)` : ''}${report.conflicts ? `, ${report.conflicts} conflicts (an id served again with other content)` : ''} (manifest ${report.seq})`
  );
}
