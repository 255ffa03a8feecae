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

  async write(name: string, body: Buffer): Promise<void> {
    await fs.mkdir(this.location, { recursive: true });
    const file = path.join(this.location, name);
    try {
      await fs.writeFile(file, body, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ConfigurationError(`--out: ${file} already exists; a report pack is evidence and is never overwritten — choose an empty folder`);
      }
      throw error;
    }
  }
}
