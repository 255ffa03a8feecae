/** Local alert channels: one JSON line per alert on stdout, and appended to a JSONL file. */
import { safeLines } from '../../core/text/safeText.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Alert } from '../../core/rules/evaluate.ts';
import type { AlertSink } from '../../core/rules/deliver.ts';

export class StdoutAlertSink implements AlertSink {
  readonly channel = 'stdout' as const;
  // JSON escapes C0 controls but not C1 or bidi ones: a terminal gets those stripped too.
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(process.stdout.isTTY ? safeLines(line) : line),
  ) {}
  async publish(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) this.write(`${JSON.stringify({ alert })}\n`);
  }
}

export class FileAlertSink implements AlertSink {
  readonly channel = 'file' as const;
  constructor(readonly file: string) {}
  async publish(alerts: readonly Alert[]): Promise<void> {
    await fs.mkdir(path.dirname(path.resolve(this.file)), { recursive: true });
    await fs.appendFile(this.file, alerts.map((a) => `${JSON.stringify(a)}\n`).join(''));
  }
}
