/** What is known of an archived id: the SHA-256 of its canonical JSON and the part holding it. */
export interface Known {
  readonly sha: string;
  readonly part: string;
}

/**
 * The ids (and quarantine keys) already archived for the range a window fills: an id served
 * again is a duplicate when identical, a conflict when not. Only the current window's and the
 * lookback horizon's ids are held, never the whole backfill.
 */
export class SeenSet {
  constructor(
    private readonly ids: Map<string, Known> = new Map(),
    readonly quarantineKeys: Set<string> = new Set(),
  ) {}

  /** An empty set that already knows `quarantineKeys` (those just behind the window can come back in its margin). */
  static carrying(quarantineKeys: ReadonlySet<string>): SeenSet {
    return new SeenSet(new Map(), new Set(quarantineKeys));
  }

  get(id: string): Known | undefined {
    return this.ids.get(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  set(id: string, known: Known): void {
    this.ids.set(id, known);
  }

  hasQuarantined(key: string): boolean {
    return this.quarantineKeys.has(key);
  }

  addQuarantined(key: string): void {
    this.quarantineKeys.add(key);
  }
}
