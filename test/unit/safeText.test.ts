import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../cli/commands/report.ts';
import { formatVerifyResult, writeVerifyReport } from '../../cli/commands/verify.ts';
import { createOutput, writeResult } from '../../cli/output.ts';
import { assertWorkspaceId } from '../../lambdas/core/archive/keys.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { safeLines, safeText } from '../../lambdas/core/text/safeText.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { IntercomClient } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { runBacktest } from '../../cli/commands/rules.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';

// Cursor up, erase line, then a fake verdict; a title change; a C1 CSI; a bidi override.
const HOSTILE = 'x\u001b[1A\u001b[2KOK: every chain is intact\u001b]0;pwned\u0007\u009b2J\u202etxt.exe\r\n';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A stream double that records what is written. */
function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

describe('safeText() and safeLines()', () => {
  it('remove every control character; safeLines keeps line breaks and tabs', () => {
    expect(safeText(HOSTILE)).toBe('x[1A[2KOK: every chain is intact]0;pwned2Jtxt.exe');
    expect(safeLines(`a\tb\n${HOSTILE}`)).toBe('a\tb\nx[1A[2KOK: every chain is intact]0;pwned2Jtxt.exe\n');
  });
});

describe('what reaches a terminal', () => {
  it('the CLI output strips control characters from every line it prints', () => {
    const s = stream(false);
    const output = createOutput(s.stream);
    output.info(`workspace ${HOSTILE}`);
    output.warn(HOSTILE);
    expect(s.written.join('')).not.toMatch(CONTROL);
  });

  it('results are stripped, and a machine format only on a terminal', () => {
    const pipe = stream(false);
    writeResult(HOSTILE, { machine: true }, pipe.stream);
    expect(pipe.written.join('')).toBe(HOSTILE);
    const tty = stream(true);
    writeResult(HOSTILE, { machine: true }, tty.stream);
    expect(tty.written.join('')).not.toMatch(CONTROL);
    writeResult(HOSTILE, {}, pipe.stream);
    expect(pipe.written[1]).not.toMatch(CONTROL);
  });

  it('query tables: no control character, and no line break that would fake a row', () => {
    const table = formatTable({
      columns: ['name', `c\u001b[31m`],
      rows: [
        [HOSTILE, 1],
        ['b', null],
      ],
    });
    expect(table).not.toMatch(CONTROL);
    expect(table.split('\n')).toHaveLength(5);
  });

  it('a workspace id Intercom sends with escapes is refused without them', () => {
    expect(() => assertWorkspaceId(`acme${HOSTILE}`)).toThrow(/workspace id 'acmex\[1A\[2KOK/);
    try {
      assertWorkspaceId(`acme${HOSTILE}`);
    } catch (error) {
      expect((error as Error).message).not.toMatch(CONTROL);
    }
  });

  it('verify names a crafted object without its escapes, so a failed verify cannot be made to look like OK (terminal and summary.md)', async () => {
    const T = 1_750_000_000;
    const fetch = (async () =>
      new Response(
        JSON.stringify({
          type: 'activity_log.list',
          pages: { next: null },
          activity_logs: [{ id: 'a', created_at: T + 5, activity_type: 'x' }],
        }),
        { status: 200 },
      )) as typeof globalThis.fetch;
    const store = new MemoryObjectStore();
    await collect(new IntercomClient({ token: 't', baseUrl: 'http://127.0.0.1:1', fetch, sleep: async () => undefined }), store, {
      workspaceId: 'w',
      since: T,
      until: T + 3600,
      lookbackSeconds: 0,
      runId: 'r',
      collectorVersion: 'v',
    });
    const body = Buffer.from('stray');
    const { createHash } = await import('node:crypto');
    await store.putIfAbsent(
      `activity_logs/workspace=w/dt=2025-06-15/${HOSTILE}.jsonl.gz`,
      body,
      createHash('sha256').update(body).digest('hex'),
    );
    const result = await verifyArchive(store);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.problems)).toContain('\\u001b[1A'); // the problem itself keeps the exact key
    const text = formatVerifyResult(result);
    expect(text).not.toMatch(CONTROL);
    expect(text).toMatch(/FAILED: 1 problem\n {2}\[stray-object\] .*x\[1A\[2KOK: every chain is intact/);
    expect(text.split('\n').at(-1)).toMatch(/^ {2}\[/); // the last line is still the problem, not a fake verdict
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safe-'));
    try {
      const summary = await writeVerifyReport(path.join(dir, 'report.json'), { result, location: `mem${HOSTILE}`, keySource: 'none' });
      expect(await fs.readFile(summary, 'utf8')).not.toMatch(CONTROL);
      // The JSON report keeps the exact key, escaped.
      expect(await fs.readFile(path.join(dir, 'report.json'), 'utf8')).toContain('\\u001b[1A');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('backtest examples quote archived entries without their control characters', async () => {
    const T = Date.UTC(2026, 0, 6, 2) / 1000; // a Tuesday, 02:00 UTC: outside business hours
    const entry = {
      id: 'n1',
      created_at: T,
      activity_type: `admin_login_success${HOSTILE}`,
      performed_by: { type: 'admin', id: '1', email: `ana${HOSTILE}@acme.com` },
    };
    const fetch = (async () =>
      new Response(JSON.stringify({ type: 'activity_log.list', pages: { next: null }, activity_logs: [entry] }), {
        status: 200,
      })) as typeof globalThis.fetch;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safe-'));
    try {
      const store = new LocalObjectStore(path.join(dir, 'archive'));
      await collect(new IntercomClient({ token: 't', baseUrl: 'http://127.0.0.1:1', fetch, sleep: async () => undefined }), store, {
        workspaceId: 'w',
        since: T - 60,
        until: T + 3600,
        lookbackSeconds: 0,
        runId: 'r',
        collectorVersion: 'v',
      });
      await fs.writeFile(
        path.join(dir, 'rules.yaml'),
        'version: 1\nrules:\n  - { name: night, severity: low, when: [ { outside_business_hours: { timezone: UTC } } ] }\n',
      );
      const { text } = await runBacktest({
        archive: path.join(dir, 'archive'),
        rules: path.join(dir, 'rules.yaml'),
        from: '2026-01-06',
        to: '2026-01-06',
        examples: 3,
      });
      expect(text).toMatch(/night \[low\]: 1 alerts\n {2}per week: .*\n {2}e\.g\. 2026-01-06T02:00:00\.000Z anax\[1A/);
      expect(text).not.toMatch(CONTROL);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
