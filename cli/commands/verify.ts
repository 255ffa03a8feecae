/** `audit-archive verify`: the core verifier over a local folder or S3, with the operator's public key. */
import { promises as fs } from 'node:fs';
import { KMSClient } from '@aws-sdk/client-kms';
import { kmsVerifier } from '../../lambdas/adapters/aws/KmsSigner.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { iso } from '../../lambdas/core/archive/manifest.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { SignatureVerifier } from '../../lambdas/core/ports.ts';
import { openArchive } from '../archiveLocation.ts';
import { type VerifyResult, verifyArchive } from '../../lambdas/core/verify/verify.ts';
import type { Output } from '../output.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import { PartCheckPool } from '../../lambdas/adapters/local/PartCheckPool.ts';
import { type HeadReceipt, formatReceipt } from '../../lambdas/core/signing/receipts.ts';
import { safeLines, safeText } from '../../lambdas/core/text/safeText.ts';

export interface VerifyCommandOptions {
  readonly archive: string;
  readonly publicKey?: string;
  readonly kmsKeyId?: string;
  readonly lock?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; years: number };
  readonly concurrency?: number;
  readonly expectHeads?: readonly HeadReceipt[];
  readonly fromReceipts?: readonly HeadReceipt[];
  readonly maxHeadAgeSeconds?: number;
  readonly requireLocks?: boolean;
  readonly now?: () => Date;
}

export interface VerifyOutcome {
  readonly result: VerifyResult;
  readonly location: string;
  readonly keySource: string;
}

export async function runVerify(options: VerifyCommandOptions, output: Output): Promise<VerifyOutcome> {
  const store = await openArchive(options.archive, { allowS3: true });
  let verifier: SignatureVerifier;
  let keySource: string;
  if (options.publicKey) {
    const pem = await fs.readFile(options.publicKey).catch(() => {
      throw new ConfigurationError(`--public-key: cannot read '${options.publicKey}'`);
    });
    verifier = PublicKeyVerifier.fromPem(pem);
    keySource = `public key ${options.publicKey}`;
  } else if (options.kmsKeyId) {
    verifier = await kmsVerifier(new KMSClient({}), options.kmsKeyId);
    keySource = `KMS key ${options.kmsKeyId}`;
  } else if (!options.archive.startsWith('s3://')) {
    const existing = await collectorKeyVerifier(store, options.archive);
    if (!existing)
      throw new ConfigurationError(
        'no public key to check signatures with: give --public-key <file> (this machine has no key the collector created for this archive)',
      );
    verifier = existing.verifier;
    keySource = `the key the collector created for this archive (${existing.publicKeyPath}); pass --public-key with the key from your compliance records to verify independently`;
  } else {
    throw new ConfigurationError('verify of an S3 archive needs --kms-key-id <signing key> or --public-key <file>');
  }
  output.info(`checking signatures with ${keySource}`);
  output.info(`key fingerprint (SHA-256 of the public key): ${verifier.fingerprint}`);
  let bar: ReturnType<Output['progress']> | undefined;
  const started = performance.now();
  // Parts are checked on worker threads (every core); the result is the same as in process.
  const pool = new PartCheckPool({ transfer: true });
  const result = await verifyArchive(store, {
    checkPart: pool.check,
    verifier,
    ...(options.lock && { lock: options.lock }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.expectHeads && { expectHeads: options.expectHeads }),
    ...(options.fromReceipts && { fromReceipts: options.fromReceipts }),
    ...(options.maxHeadAgeSeconds !== undefined && { maxHeadAgeSeconds: options.maxHeadAgeSeconds }),
    ...(options.requireLocks && { requireLocks: true }),
    ...(options.now && { now: options.now }),
    publicKeyFromPem: (pem) => PublicKeyVerifier.fromPem(pem),
    checkVersions: options.archive.startsWith('s3://'),
    onProgress: (done, total) => {
      bar ??= output.progress('verifying {bar} {value}/{total} objects | ETA {eta_formatted}', total, {});
      bar.update(done);
    },
  }).finally(() => pool.close());
  bar?.stop();
  output.info(throughputLine(result, (performance.now() - started) / 1000, options.concurrency ?? 32));
  return { result, location: store.location, keySource };
}

/** Objects read (manifests, signatures, parts) and lock states asked for, per second: what a slow store costs. */
function throughputLine(result: VerifyResult, seconds: number, concurrency: number): string {
  const manifests = result.workspaces.reduce((n, w) => n + (w.checkedFrom !== undefined ? 0 : w.manifests), 0);
  const objects = manifests + result.signaturesChecked + result.objectsChecked;
  const rate = (n: number) => Math.round(n / Math.max(seconds, 0.001));
  return `read ${objects} objects and ${result.lockChecked} lock states in ${seconds.toFixed(1)} s: ${rate(objects)} objects/s, ${rate(result.lockChecked)} lock states/s, ${(result.bytesChecked / 1e6 / Math.max(seconds, 0.001)).toFixed(1)} MB/s of parts (${concurrency} at once)`;
}

export function formatVerifyResult(result: VerifyResult): string {
  const lines: string[] = [];
  for (const ws of result.workspaces) {
    lines.push(
      `workspace ${safeText(ws.workspaceId)}: ${ws.manifests} manifests (${ws.windows} windows, ${ws.lateManifests} late), ` +
        `${ws.origin !== null ? iso(ws.origin) : '?'} – ${ws.checkpoint !== null ? iso(ws.checkpoint) : '?'}, ${ws.parts} parts, ${ws.records} entries, ${ws.quarantined} quarantined` +
        (ws.signing === 'unsigned: hash chain only'
          ? ', unsigned: hash chain only'
          : ws.firstSignedSeq !== undefined
            ? `, signed from manifest ${ws.firstSignedSeq ?? '—'}`
            : '') +
        (ws.superseded?.length ? `, manifests ${ws.superseded.join(', ')} superseded by a signed recovery manifest` : '') +
        (ws.checkedFrom !== undefined
          ? ` (checked after the receipt at manifest ${ws.checkedFrom}; the counts cover what was checked)`
          : ''),
    );
  }
  if (result.workspaces.length === 0) lines.push('no manifest chain found: nothing has been collected into this archive');
  lines.push(
    `${result.objectsChecked} objects re-hashed (${(result.bytesChecked / 1e6).toFixed(1)} MB), ${result.signaturesChecked} signatures checked, ${result.lockChecked} lock states checked`,
  );
  if (result.keyFingerprint) lines.push(`key fingerprint: ${result.keyFingerprint}`);
  if (result.heldObjects) lines.push(`${result.heldObjects.length} objects under legal hold (audit-archive hold list names the holds)`);
  if (result.versionsChecked !== undefined) lines.push(`${result.versionsChecked} object versions listed`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  for (const w of result.warnings ?? []) if (w.code !== 'superseded') lines.push(`warning [${w.code}] ${w.message}`);
  for (const e of result.exceptions ?? [])
    lines.push(`exception (${e.kind}, manifest ${e.seq}; never read as data): ${e.key} — ${e.reason}`);
  for (const c of result.conflicts ?? [])
    lines.push(
      `conflict (manifest ${c.seq}): id ${c.id} served again with different content — archived ${c.archived_sha256} in ${c.archived_part}, served ${c.served_sha256} quarantined in ${c.quarantine_part}`,
    );
  if (result.ok)
    lines.push(
      `OK: every chain is intact and signed, every object matches its hash, nothing is outside the chain${(result.exceptions ?? []).length ? ' unaccounted for' : ''}`,
    );
  else {
    lines.push(`FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
    // Messages name objects in the archive, which someone without the key may have named: no control characters.
    for (const p of result.problems) lines.push(`  [${safeText(p.code)}] ${safeText(p.message)}`);
  }
  // Receipts only for clean workspaces: keep them outside the archive and pass them to the next verify.
  for (const r of result.receipts) lines.push(formatReceipt(r));
  return lines.join('\n');
}

/** The machine-readable report and its one-page human summary (Markdown) beside it. */
export async function writeVerifyReport(file: string, outcome: VerifyOutcome, now: Date = new Date()): Promise<string> {
  const { result } = outcome;
  const report = {
    format: 'intercom-audit-archive/verify-report/v1',
    verified_at: now.toISOString(),
    archive: outcome.location,
    key: { source: outcome.keySource, fingerprint: result.keyFingerprint ?? null },
    ok: result.ok,
    summary: {
      objects_rehashed: result.objectsChecked,
      bytes_rehashed: result.bytesChecked,
      signatures_checked: result.signaturesChecked,
      lock_states_checked: result.lockChecked,
      objects_under_legal_hold: result.heldObjects?.length ?? 0,
      lock_state: result.lockState,
    },
    legal_holds: result.heldObjects ?? [],
    notes: result.notes,
    head_receipts: result.receipts.map((r) => ({ workspace_id: r.workspaceId, seq: r.seq, sha256: r.sha256, line: formatReceipt(r) })),
    workspaces: result.workspaces.map((w) => ({
      workspace_id: w.workspaceId,
      chain_length: w.manifests,
      windows: w.windows,
      late_manifests: w.lateManifests,
      first_window_from: w.origin !== null ? iso(w.origin) : null,
      covered_until: w.checkpoint !== null ? iso(w.checkpoint) : null,
      entries: w.records,
      quarantined: w.quarantined,
      parts: w.parts,
      bytes: w.bytes,
      first_signed_manifest: w.firstSignedSeq ?? null,
      checked_from_receipt: w.checkedFrom ?? null,
    })),
    problems: result.problems,
    warnings: result.warnings,
    exceptions: result.exceptions,
    conflicts: result.conflicts,
  };
  await fs.writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const summaryFile = `${file.replace(/\.json$/i, '')}.summary.md`;
  const md = [
    `# Archive verification — ${result.ok ? 'PASSED' : 'FAILED'}`,
    '',
    `- Archive: \`${outcome.location}\``,
    `- Verified at: ${now.toISOString()}`,
    `- Signing key fingerprint (SHA-256): \`${result.keyFingerprint ?? 'none'}\` — ${outcome.keySource}`,
    `- Objects re-hashed: ${result.objectsChecked} (${(result.bytesChecked / 1e6).toFixed(1)} MB); signatures checked: ${result.signaturesChecked}; lock states checked: ${result.lockChecked}`,
    `- Objects under legal hold: ${result.heldObjects?.length ?? 0}`,
    '',
    '| workspace | chain length | first window | covered until | entries | quarantined | signed from |',
    '|---|---|---|---|---|---|---|',
    ...report.workspaces.map(
      (w) =>
        `| ${safeText(w.workspace_id)} | ${w.chain_length} | ${w.first_window_from ?? '—'} | ${w.covered_until ?? '—'} | ${w.entries} | ${w.quarantined} | ${w.first_signed_manifest ?? '—'} |`,
    ),
    '',
    result.ok
      ? 'No problem found: every window from the first to the last was collected, every object matches its recorded SHA-256, every manifest is signed and chained, and nothing lies outside the chain.'
      : `## Problems (${result.problems.length})`,
    ...result.problems.map((p) => `- **${safeText(p.code)}** \`${safeText(p.key)}\`: ${safeText(p.message)}`),
    ...result.notes.map((n) => `- Note: ${safeText(n)}`),
    ...(result.receipts.length > 0
      ? [
          '',
          '## Head receipts (keep them outside the archive; pass them to the next verify with --expect-head)',
          '',
          ...result.receipts.map((r) => `- \`${safeText(formatReceipt(r))}\``),
        ]
      : []),
    '',
    `The JSON report is \`${file}\`.`,
    '',
  ].join('\n');
  await fs.writeFile(summaryFile, safeLines(md));
  return summaryFile;
}
