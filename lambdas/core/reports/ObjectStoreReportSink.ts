/** Writes a report pack into the archive itself, create-only and locked like the data. */
import { sha256Hex } from '../archive/manifest.ts';
import { ConfigurationError } from '../errors.ts';
import type { ObjectStore, ReportSink } from '../ports.ts';

export class ObjectStoreReportSink implements ReportSink {
  readonly location: string;

  /** @param prefix e.g. `reports/quarter=2026-Q1/` */
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
  ) {
    this.location = `${store.location}${prefix}`;
  }

  async assertEmpty(): Promise<void> {
    for await (const object of this.store.list(this.prefix)) {
      throw new ConfigurationError(
        `${this.store.location}${object.key} already exists; a report pack is evidence and is never overwritten — this quarter's pack was already written`,
      );
    }
  }

  async write(name: string, body: Buffer): Promise<void> {
    await this.store.putIfAbsent(`${this.prefix}${name}`, body, sha256Hex(body));
  }
}
