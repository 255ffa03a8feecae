/** Writes a report pack into a local folder; never overwrites a file of an earlier pack. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';
import type { ReportSink } from '../../core/ports.ts';

export class FolderReportSink implements ReportSink {
  readonly location: string;

  constructor(dir: string) {
    this.location = path.resolve(dir);
  }

  /** The folder must be missing or empty: a pack is never mixed with other files. */
  async assertEmpty(): Promise<void> {
    const stat = await fs.stat(this.location).catch(() => undefined);
    if (!stat) return;
    if (!stat.isDirectory())
      throw new ConfigurationError(`--out: ${this.location} is a file, not a folder; give a missing or empty folder for the pack`);
    const entries = await fs.readdir(this.location);
    if (entries.length === 0) return;
    const first = entries.sort()[0]!;
    if (['summary.html', 'manifest.json'].includes(first) || entries.includes('manifest.json') || entries.includes('summary.html')) {
      throw new ConfigurationError(
        `--out: ${path.join(this.location, entries.includes('manifest.json') ? 'manifest.json' : 'summary.html')} already exists; a report pack is evidence and is never overwritten — choose an empty folder`,
      );
    }
    throw new ConfigurationError(
      `--out: ${this.location} is not empty (it holds ${entries.length} entries, e.g. '${first}'); give a missing or empty folder for the pack`,
    );
  }

  async write(name: string, body: Buffer): Promise<void> {
    await fs.mkdir(this.location, { recursive: true });
    const file = path.join(this.location, name);
    try {
      // Create-only, and read-only once written: a pack is evidence.
      await fs.writeFile(file, body, { flag: 'wx', mode: 0o444 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ConfigurationError(
          `--out: ${file} already exists; a report pack is evidence and is never overwritten — choose an empty folder`,
        );
      }
      throw error;
    }
  }
}
