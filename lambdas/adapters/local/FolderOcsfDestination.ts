/** Exported OCSF objects under a local folder (the Security Lake layout below it). Never overwrites different bytes. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../../core/errors.ts';
import type { OcsfDestination } from '../../core/ocsf/exportOcsf.ts';

export class FolderOcsfDestination implements OcsfDestination {
  constructor(readonly location: string) {}

  async write(key: string, body: Buffer): Promise<void> {
    const file = path.join(this.location, ...key.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    try {
      await fs.writeFile(file, body, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // The name carries a hash of the events: the same name with other bytes means someone changed the file.
      const existing = await fs.readFile(file);
      if (!existing.equals(body))
        throw new IntegrityError(key, `${file} already exists with different content: export into an empty folder`);
    }
  }
}
