/** A test clock for runs with a time budget: the source's pages move it, and each run gets its own budget. */
export class RunClock {
  constructor(public seconds: number) {}

  readonly now = (): Date => new Date(this.seconds * 1000);

  advance(seconds: number): void {
    this.seconds += seconds;
  }

  /** A `timeLeft` for a run of `budget` seconds starting now. */
  budget(budget: number): () => number {
    const end = this.seconds + budget;
    return () => end - this.seconds;
  }
}
