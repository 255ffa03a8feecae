/**
 * Re-observe before you sign: each attack of someone who can write into the archive folder (or
 * put objects into the bucket) without the signing key, on the local store with its Ed25519 key
 * and through the S3 adapter with a (mocked) KMS signer. None may end in a signature, a query,
 * a report or a checkpoint the collector did not fetch itself.
 */
import { constants, createHash, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsSigner, kmsVerifier } from '../../lambdas/adapters/aws/KmsSigner.ts';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { findHead, readManifest } from '../../lambdas/core/archive/chain.ts';
import { dataKey, manifestKey, utcDate } from '../../lambdas/core/archive/keys.ts';
import { toArchiveLine } from '../../lambdas/core/archive/lines.ts';
import { canonicalSha256, serializeManifest } from '../../lambdas/core/archive/manifest.ts';
import { newManifest } from '../../lambdas/core/archive/newManifest.ts';
import { indexKey } from '../../lambdas/core/archive/partIndex.ts';
import { archiveScope } from '../../lambdas/core/archive/scope.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { IntegrityError } from '../../lambdas/core/errors.ts';
import type { ActivityLog } from '../../lambdas/core/intercom/schema.ts';
import { acknowledgeObjects } from '../../lambdas/core/operator/operatorManifest.ts';
import type {
  ActivityLogSource,
  ManifestSigner,
  ObjectStore,
  QueryEngine,
  ReportSink,
  SignatureVerifier,
} from '../../lambdas/core/ports.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { buildReportPack } from '../../lambdas/core/reports/buildReportPack.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { archivedEntries } from '../../lambdas/core/rules/evaluate.ts';
import { alertOnCollected } from '../../lambdas/core/rules/liveAlerts.ts';
import type { AlertSink } from '../../lambdas/core/rules/deliver.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { duplicateIds, listedLines } from '../helpers/archive.ts';
import { DAY, T0, runCollector, simClient } from '../helpers/collecting.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';
import { ARCHIVE_WRITER_ATTACKS as A, ARCHIVE_WRITER_STORES } from '../reliability/cases.ts';

const WS = 'sim-acme';
let sim: RunningSimulator;
let tmp: string;
const kms = mockClient(KMSClient);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'reobserve-'));
  kms.on(SignCommand).callsFake((input) => ({
    Signature: signDigestPss(Buffer.from(input.Message as Uint8Array)),
    KeyId: input.KeyId,
    SigningAlgorithm: 'RSASSA_PSS_SHA_256',
  }));
  kms
    .on(GetPublicKeyCommand)
    .resolves({ KeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k', PublicKey: rsa.publicKey.export({ type: 'spki', format: 'der' }) });
});
/**
 * What KMS does with MessageType DIGEST: an RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt)
 * signature of the digest as given. Node signs only messages it hashes itself, so the PSS
 * encoding (RFC 8017, 9.1.1) is done here and the raw RSA operation by privateEncrypt.
 */
function signDigestPss(digest: Buffer): Buffer {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();
  const modBits = rsa.publicKey.asymmetricKeyDetails!.modulusLength!;
  const emLen = Math.ceil((modBits - 1) / 8);
  const salt = randomBytes(32);
  const h = sha(Buffer.concat([Buffer.alloc(8), digest, salt]));
  const db = Buffer.concat([Buffer.alloc(emLen - 32 - 32 - 2), Buffer.from([1]), salt]);
  const mask = Buffer.alloc(db.length);
  for (let i = 0, off = 0; off < mask.length; i++, off += 32) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    sha(Buffer.concat([h, c])).copy(mask, off);
  }
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - (modBits - 1));
  return privateEncrypt({ key: rsa.privateKey, padding: constants.RSA_NO_PADDING }, Buffer.concat([db, h, Buffer.from([0xbc])]));
}

afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Archive {
  readonly store: ObjectStore;
  readonly signer: ManifestSigner;
  readonly verifier: SignatureVerifier;
  /** What the attacker does: put an object, without the key, bypassing the collector. */
  plant(key: string, body: Buffer): void;
  /** The local folder (DuckDB reads it), when the archive is local. */
  readonly dir?: string;
}

let n = 0;
const archives: [(typeof ARCHIVE_WRITER_STORES)[number], () => Promise<Archive>][] = [
  [
    ARCHIVE_WRITER_STORES[0],
    async () => {
      const dir = path.join(tmp, `archive-${++n}`);
      const keys = Ed25519Signer.forArchive(dir, path.join(tmp, 'keys'));
      return {
        store: new LocalObjectStore(dir),
        signer: keys.signer,
        verifier: keys.verifier,
        dir,
        plant: (key, body) => {
          mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
          writeFileSync(path.join(dir, key), body);
        },
      };
    },
  ],
  [
    ARCHIVE_WRITER_STORES[1],
    async () => {
      const s3 = fakeS3();
      const client = new KMSClient({ region: 'eu-west-1' });
      return {
        store: new S3ObjectStore(s3.client, { bucket: 'b' }),
        signer: new KmsSigner(client, 'alias/manifest-signing'),
        verifier: await kmsVerifier(client, 'alias/manifest-signing'),
        plant: (key, body) => void s3.objects.set(`b/${key}`, { body, checksum: createHash('sha256').update(body).digest('base64') }),
      };
    },
  ],
];

const provenance = { runId: 'run-mallory', collectorVersion: '0.1.0', apiHost: 'api.intercom.io', apiVersion: '2.17' };
const gz = (entries: ActivityLog[]) =>
  gzipSync(entries.map((e) => `${JSON.stringify(toArchiveLine(e, WS, provenance, '2026-01-01T00:00:00Z', false))}\n`).join(''));
const served = (from: number, to: number) =>
  sim.workspace
    .entriesBetween(from, to - 1)
    .map((e) => e.id)
    .sort();
const listedIds = async (store: ObjectStore) => (await listedLines(store)).map((l) => String(l.id));

async function expectExactlyOnceListed(store: ObjectStore, from: number, to: number) {
  const ids = await listedIds(store);
  expect(duplicateIds(ids.map((id) => ({ id })))).toEqual([]);
  expect(ids.sort()).toEqual(served(from, to));
}

describe.each(archives)('re-observe before you sign — %s', (_name, open) => {
  it(`${A[0]} costs a re-fetch and hides nothing: it is superseded by a signed recovery manifest, never signed`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY, signer: a.signer });
    const head = (await findHead(a.store, WS))!;
    const cp = head.manifest.checkpoint;
    // Correctly chained, claiming 15 days with no parts.
    const forged = newManifest({
      workspaceId: WS,
      seq: head.manifest.seq + 1,
      kind: 'window',
      from: cp,
      to: cp + 15 * DAY,
      origin: T0,
      checkpoint: cp + 15 * DAY,
      prevSha256: head.sha256,
      api: { host: 'api.intercom.io', version: '2.17', perPage: 250 },
      runId: 'run-x',
      collectorVersion: '0.1.0',
      writtenAt: new Date(),
      store: a.store,
    });
    a.plant(manifestKey(WS, forged.seq), serializeManifest(forged));
    expect((await verifyArchive(a.store, { verifier: a.verifier })).problems.map((p) => p.code)).toEqual(['signature-missing']);

    const result = await runCollector(sim, a.store, { until: T0 + 20 * DAY, windowSeconds: DAY, signer: a.signer });
    expect(result.superseded).toEqual([forged.seq]);
    expect(result.checkpointBefore).toBe(cp);
    const recovery = (await readManifest(a.store, WS, forged.seq + 1)).manifest;
    expect(recovery).toMatchObject({ kind: 'recovery', from: cp, supersedes: [{ seq: forged.seq }] });
    expect(await a.store.head(`signatures/workspace=${WS}/${String(forged.seq).padStart(12, '0')}.json`)).toBeUndefined();
    await expectExactlyOnceListed(a.store, T0, T0 + 20 * DAY);
    const verified = await verifyArchive(a.store, { verifier: a.verifier });
    expect(verified.problems).toEqual([]);
    expect(verified.workspaces[0]!.superseded).toEqual([forged.seq]);
    expect(verified.workspaces[0]!.checkpoint).toBe(T0 + 20 * DAY);
  });

  it(`${A[0]} listing a planted part raises no live alert once superseded`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY, signer: a.signer });
    const head = (await findHead(a.store, WS))!;
    const cp = head.manifest.checkpoint;
    const body = gz([
      {
        id: 'forged-2fa-off',
        created_at: cp + 60,
        activity_type: 'admin_two_factor_auth_change',
        performed_by: { type: 'admin', id: '1' },
      } as ActivityLog,
    ]);
    const partKey = dataKey(WS, utcDate(cp), cp, 'part', 1);
    a.plant(partKey, body);
    const forged = newManifest({
      workspaceId: WS,
      seq: head.manifest.seq + 1,
      kind: 'window',
      from: cp,
      to: cp + DAY,
      origin: T0,
      checkpoint: cp + DAY,
      prevSha256: head.sha256,
      api: { host: 'api.intercom.io', version: '2.17', perPage: 250 },
      runId: 'run-x',
      collectorVersion: '0.1.0',
      writtenAt: new Date(),
      store: a.store,
    });
    forged.parts = [
      {
        key: partKey,
        sha256: createHash('sha256').update(body).digest('hex'),
        bytes: body.length,
        records: 1,
        min_created_at: cp + 60,
        max_created_at: cp + 60,
      },
    ];
    forged.records = 1;
    a.plant(manifestKey(WS, forged.seq), serializeManifest(forged));
    const result = await runCollector(sim, a.store, { until: T0 + 3 * DAY, windowSeconds: DAY, signer: a.signer });
    expect(result.superseded).toEqual([forged.seq]);
    const published: string[] = [];
    const sinks: AlertSink[] = (['sns', 'eventbridge', 'stdout', 'file'] as const).map((channel) => ({
      channel,
      publish: async (alerts) => void published.push(...alerts.map((x) => x.entry_id)),
    }));
    const rules = parseRules(readFileSync(new URL('../../rules/default-rules.yaml', import.meta.url), 'utf8'), 'default-rules.yaml');
    await alertOnCollected(a.store, rules, result, sinks, { maxAgeSeconds: 400 * DAY, now: () => new Date((T0 + 3 * DAY + 600) * 1000) });
    expect(published).not.toContain('forged-2fa-off');
    expect(await listedIds(a.store)).not.toContain('forged-2fa-off');
  });

  it(`${A[1]} (a fabricated export, an entry dated 2027) is rejected: never listed, signed, queried or reported, and the checkpoint does not move past until`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY, signer: a.signer });
    const cp = T0 + 2 * DAY;
    const fabricated: ActivityLog[] = [
      {
        id: 'forged-export',
        created_at: cp + 100,
        activity_type: 'app_data_export',
        activity_description: 'exported everything',
        performed_by: { type: 'admin', id: '1', email: 'victim@example.com', ip: '10.0.0.1' },
      } as ActivityLog,
      {
        id: 'forged-2027',
        created_at: Date.UTC(2027, 0, 1) / 1000,
        activity_type: 'admin_login_success',
        performed_by: { type: 'admin', id: '1' },
      } as ActivityLog,
    ];
    const planted = dataKey(WS, utcDate(cp), cp, 'part', 1);
    a.plant(planted, gz(fabricated));

    const result = await runCollector(sim, a.store, {
      until: T0 + 4 * DAY,
      windowSeconds: DAY,
      signer: a.signer,
      now: () => new Date((T0 + 30 * DAY) * 1000),
    });
    expect(result).toMatchObject({ partsRejected: 1, partsAdopted: 0, checkpoint: T0 + 4 * DAY });
    const head = (await findHead(a.store, WS))!.manifest;
    const window = head.rejected_parts ? head : (await readManifest(a.store, WS, head.seq - 1)).manifest;
    expect(window.from).toBe(cp);
    expect(window.rejected_parts).toEqual([expect.objectContaining({ key: planted, lines: 2, confirmed: 0, unconfirmed: 2 })]);
    expect(window.parts.map((p) => p.key)).not.toContain(planted);
    expect(await listedIds(a.store)).not.toContain('forged-export');
    await expectExactlyOnceListed(a.store, T0, T0 + 4 * DAY);
    const verified = await verifyArchive(a.store, { verifier: a.verifier });
    expect(verified.problems).toEqual([]);
    expect(verified.exceptions).toEqual([expect.objectContaining({ key: planted, kind: 'rejected' })]);
    if (a.dir) {
      const engine = await DuckDbEngine.open(a.dir);
      try {
        const exports = await engine.run(loadQueries().find((q) => q.name === 'gdpr_data_exports')!.sql, [utcDate(cp), utcDate(cp)]);
        expect(exports.rows.flat()).not.toContain('forged-export');
      } finally {
        await engine.close();
      }
    }
  });

  it(`${A[2]} is rejected, its verbatim entries are written again, and Intercom’s true copy is archived`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY, signer: a.signer });
    const cp = T0 + 2 * DAY;
    const [verbatim, victim] = sim.workspace.entriesBetween(cp, cp + DAY - 1) as unknown as ActivityLog[];
    const reattributed = { ...victim!, performed_by: { ...victim!.performed_by, email: 'someone-else@example.com' } } as ActivityLog;
    const planted = dataKey(WS, utcDate(cp), cp, 'part', 1);
    a.plant(planted, gz([verbatim!, reattributed]));

    const result = await runCollector(sim, a.store, { until: T0 + 3 * DAY, windowSeconds: DAY, signer: a.signer });
    expect(result.partsRejected).toBe(1);
    const window = (await findHead(a.store, WS))!.manifest;
    expect(window.rejected_parts).toEqual([expect.objectContaining({ key: planted, confirmed: 1, unconfirmed: 1 })]);
    const lines = await listedLines(a.store);
    const truth = lines.find((l) => l.id === victim!.id)!;
    expect(JSON.parse(String(truth.source))).toEqual(victim);
    expect(lines.filter((l) => l.id === verbatim!.id)).toHaveLength(1);
    await expectExactlyOnceListed(a.store, T0, T0 + 3 * DAY);
    expect((await verifyArchive(a.store, { verifier: a.verifier })).problems).toEqual([]);
  });

  it(`${A[3]}: an object no manifest lists is never read: disclosed by scope and the pack, stopping an Athena pack when an index names it, until acknowledged`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY, signer: a.signer });
    const planted = `activity_logs/workspace=${WS}/dt=${utcDate(T0 + DAY)}/zzz.jsonl.gz`;
    a.plant(
      planted,
      gz([
        { id: 'zzz', created_at: T0 + DAY + 60, activity_type: 'app_data_export', performed_by: { type: 'admin', id: '9' } } as ActivityLog,
      ]),
    );
    const scope = await archiveScope(a.store, { verifier: a.verifier });
    expect(scope.parts.map((p) => p.key)).not.toContain(planted);
    expect(scope.exceptions).toEqual([expect.objectContaining({ key: planted, kind: 'unlisted' })]);
    expect((await verifyArchive(a.store, { verifier: a.verifier })).problems).toEqual([
      expect.objectContaining({ code: 'stray-object', key: planted }),
    ]);
    // Alert rules (live and backtests) evaluate only chain-listed parts too.
    const evaluated: string[] = [];
    for await (const entry of archivedEntries(a.store, WS, T0, T0 + 3 * DAY)) evaluated.push(entry.id);
    expect(evaluated).not.toContain('zzz');
    expect(evaluated.sort()).toEqual(served(T0, T0 + 3 * DAY));

    // An index object that lists it (what Athena's view would read): the pack stops.
    const forgedIndex = indexKey(WS, 999);
    a.plant(forgedIndex, Buffer.from(`${JSON.stringify({ seq: 999, key: planted, status: 'listed' })}\n`));
    const engine: QueryEngine = { name: 'athena:test', run: async () => ({ columns: ['x'], rows: [] }), close: async () => undefined };
    const sink: ReportSink = { location: 'memory', write: async () => undefined };
    const pack = () =>
      buildReportPack({
        quarter: '2025-Q1',
        queries: loadQueries(),
        engine,
        sink,
        archive: a.store,
        workspaceIds: [WS],
        readsIndex: true,
        allowPartial: true,
      });
    await expect(pack()).rejects.toThrow(IntegrityError);
    await expect(pack()).rejects.toThrow(/index object no manifest names/);

    // Acknowledged: a signed exception manifest accounts for both; verify passes, the pack discloses them.
    await acknowledgeObjects(a.store, [planted, forgedIndex], {
      workspaceId: WS,
      reason: 'planted by a test; investigated under ticket SEC-1',
      operator: 'alice',
      runId: 'run-op',
      collectorVersion: '0.1.0',
      signer: a.signer,
    });
    const verified = await verifyArchive(a.store, { verifier: a.verifier });
    expect(verified.problems).toEqual([]);
    expect(verified.exceptions.map((e) => [e.key, e.kind])).toEqual([
      [planted, 'acknowledged'],
      [forgedIndex, 'acknowledged'],
    ]);
    const result = await pack();
    expect((result.manifest.archive as { not_read: { objects: unknown[] } }).not_read.objects).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: planted, kind: 'acknowledged' })]),
    );
  });

  it(`${A[4]} is quarantined and recorded as a conflict`, async () => {
    const a = await open();
    await runCollector(sim, a.store, { since: T0, until: T0 + DAY, windowSeconds: DAY, signer: a.signer });
    const victim = sim.workspace.entriesBetween(T0 + DAY - 3600, T0 + DAY - 1)[0] as unknown as ActivityLog;
    const changed = { ...victim, activity_description: 'rewritten at the source' };
    const client = simClient(sim);
    const source: ActivityLogSource = {
      host: client.host,
      apiVersion: client.apiVersion,
      perPage: client.perPage,
      workspaceId: () => client.workspaceId(),
      async *fetchRange(range, options) {
        for await (const page of client.fetchRange(range, options))
          yield { ...page, entries: page.entries.map((e) => (e.id === victim.id ? changed : e)) };
      },
    };
    const result = await collect(source, a.store, {
      workspaceId: WS,
      runId: 'run-2',
      collectorVersion: '0.1.0',
      until: T0 + 2 * DAY,
      windowSeconds: DAY,
      signer: a.signer,
    });
    expect(result.conflicts).toBe(1);
    const verified = await verifyArchive(a.store, { verifier: a.verifier });
    expect(verified.problems).toEqual([]);
    expect(verified.conflicts).toEqual([
      expect.objectContaining({
        id: victim.id,
        archived_sha256: canonicalSha256(victim),
        served_sha256: canonicalSha256(changed),
        archived_part: expect.stringContaining(`dt=${utcDate(victim.created_at)}/`),
        quarantine_part: expect.stringMatching(/^quarantine\//),
      }),
    ]);
    // The archived copy stays the one queries read; the other version is evidence, in quarantine.
    const lines = await listedLines(a.store);
    expect(JSON.parse(String(lines.find((l) => l.id === victim.id)!.source))).toEqual(victim);
    expect((await archiveScope(a.store)).conflicts).toEqual([expect.objectContaining({ id: victim.id })]);
  });

  it.each([
    [A[5], 3],
    [A[6], 1],
  ])('%s ends in a recovery manifest, losing and duplicating nothing', async (_when, nth) => {
    const a = await open();
    let signatures = 0;
    const dying = new Proxy(a.store, {
      get(target, prop, receiver) {
        if (prop === 'putIfAbsent') {
          return async (key: string, body: Buffer, sha: string) => {
            if (key.startsWith('signatures/') && ++signatures === nth) throw new Error('simulated kill before the signature');
            return target.putIfAbsent(key, body, sha);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(runCollector(sim, dying, { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY, signer: a.signer })).rejects.toThrow(
      /simulated kill/,
    );
    const rerun = await runCollector(sim, a.store, { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY, signer: a.signer });
    expect(rerun.superseded).toEqual([nth - 1]);
    await expectExactlyOnceListed(a.store, T0, T0 + 3 * DAY);
    const verified = await verifyArchive(a.store, { verifier: a.verifier });
    expect(verified.problems).toEqual([]);
  });
});
