/** What a collect run reports: per window to its observer, and as its result. */
export interface WindowReport {
  readonly kind: 'window' | 'late' | 'recovery';
  readonly from: number;
  readonly to: number;
  readonly records: number;
  readonly quarantined: number;
  readonly adoptedParts: number;
  readonly rejectedParts: number;
  readonly conflicts: number;
  readonly seq: number;
}

export interface CollectObserver {
  onStart?(info: { workspaceId: string; origin: number; checkpoint: number; until: number; newArchive: boolean }): void;
  onWarning?(message: string): void;
  onPage?(info: { kept: number; quarantined: number; served: number }): void;
  onWindowStart?(info: { kind: 'window' | 'late' | 'recovery'; from: number; to: number }): void;
  onWindowClosed?(report: WindowReport): void;
}

export interface CollectResult {
  readonly workspaceId: string;
  readonly origin: number;
  readonly checkpointBefore: number;
  readonly checkpoint: number;
  readonly headSeq: number;
  readonly windows: number;
  readonly emptyWindows: number;
  readonly lateManifests: number;
  readonly entries: number;
  readonly lateEntries: number;
  readonly quarantined: number;
  readonly duplicatesDropped: number;
  readonly partsWritten: number;
  readonly partsAdopted: number;
  /** Parts found unlisted that Intercom did not confirm entry for entry (listed under rejected_parts). */
  readonly partsRejected: number;
  /** Ids served again with different content (quarantined, listed under conflicts). */
  readonly conflicts: number;
  /** Seqs of the unsigned manifests a recovery manifest of this run superseded. */
  readonly superseded: number[];
  readonly pages: number;
  readonly newestCreatedAt: number | null;
  /** true when shouldStop() ended the run before `until`. */
  readonly stoppedEarly: boolean;
  /** Teammates in the roster this run saved (once a day, when caught up), if it saved one. */
  readonly rosterTeammates?: number;
}
