/** The counts a collect run reports, owned in one place and added to by the window filler. */
export class RunCounters {
  entries = 0;
  lateEntries = 0;
  quarantined = 0;
  duplicates = 0;
  partsWritten = 0;
  partsAdopted = 0;
  partsRejected = 0;
  conflicts = 0;
  pages = 0;
  newest: number | null = null;

  /** An entry this run wrote: the newest `created_at` archived so far. */
  wrote(createdAt: number): void {
    this.newest = Math.max(this.newest ?? createdAt, createdAt);
  }

  /** Entries archived for the first time, counted as late or not. */
  kept(count: number, late: boolean): void {
    if (late) this.lateEntries += count;
    else this.entries += count;
  }
}
