/**
 * `verify`: recomputes every hash and walks each workspace's chain. Names each object that is
 * missing, altered, or outside the chain, each break in the chain, and each gap or overlap
 * between window manifests.
 *
 * The parts, each owning its state: the inventory (what is listed), the chain walk (hashes and
 * links), the signature check, the chain weight (superseded, adopted, unsigned), the contents
 * (coverage, parts, exceptions), the part check, the lock check, the accounting of everything
 * else, and the problem list that sorts what they all report.
 */
import { signatureKey } from '../signing/signatures.ts';
import type { ObjectStore } from '../ports.ts';
import { checkHeads, checkVersions, cleanReceipts } from './anchors.ts';
import { ArchiveContents } from './ArchiveContents.ts';
import { ArchiveReader } from './ArchiveReader.ts';
import { checkIndexes, checkRejected, reportStrays, type Accounting } from './accounting.ts';
import { type ManifestShas, walkChain } from './chainWalk.ts';
import { chainWeight } from './chainWeight.ts';
import { type Inventory, readInventory } from './inventory.ts';
import { LockCapture } from './lockCapture.ts';
import { checkLocks } from './lockCheck.ts';
import { checkParts, selectParts } from './PartCheck.ts';
import { ProblemList } from './ProblemList.ts';
import { SignatureCheck } from './SignatureCheck.ts';
import { receiptsByWorkspace, startOf } from './receiptStart.ts';
import { type VerifyOptions, type VerifyResult, compareText } from './types.ts';
import type { HeadReceipt } from '../signing/receipts.ts';

export * from './types.ts';

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

export async function verifyArchive(store: ObjectStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const receipts = receiptsByWorkspace(options);
  const problems = new ProblemList();
  // On S3 a read brings its object's lock state along: one round trip per object, not two.
  const captured = options.lock && store.objectLock && store.getWithLock ? new LockCapture(options.lock) : undefined;
  const reader = new ArchiveReader(store, problems.report, captured);
  // The versions listing needs nothing else: it runs beside everything (its problems are sorted with the rest).
  const versions = options.checkVersions && store.listVersions ? checkVersions(store, problems.report) : undefined;
  versions?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const inventory = await readInventory(reader, problems.report);
  const shas: ManifestShas = new Map();
  const signatures = options.verifier
    ? new SignatureCheck({
        reader,
        store,
        verifier: options.verifier,
        ...(options.publicKeyFromPem && { publicKeyFromPem: options.publicKeyFromPem }),
        inventory,
        shas,
        report: problems.report,
        concurrency,
      })
    : undefined;
  const contents = await readChains({ reader, inventory, shas, signatures, problems, receipts, concurrency });

  const { referenced, toCheck } = selectParts(contents.refs, inventory.dataObjects, problems.report);
  const { bytesChecked } = await checkParts(
    reader,
    toCheck,
    {
      concurrency,
      maxBytesInFlight: options.maxBytesInFlight ?? DEFAULT_BYTES_IN_FLIGHT,
      ...(options.onProgress && { onProgress: options.onProgress }),
    },
    problems.report,
  );
  const accounting: Accounting = { store, reader, inventory, contents, referenced, problems };
  reportStrays(accounting, signatures?.unused());
  // Indexes are read before the lock check, so the lock states their reads bring are used.
  const indexNote = await checkIndexes(accounting, concurrency);
  const locks = await checkLocks(store, options, () => lockTargets(accounting, shas), problems, concurrency, captured);
  await checkRejected(accounting);
  if (indexNote) problems.note(indexNote);

  // A receipt to start from is also a head the chain must reach, with that hash.
  const expectHeads = [...(options.expectHeads ?? []), ...receipts.values()];
  checkHeads(contents.heads, shas, { ...options, expectHeads }, problems.report);
  const versionsChecked = await versions;

  const sorted = problems.sortedProblems();
  return {
    ok: sorted.length === 0,
    problems: sorted,
    warnings: problems.sortedWarnings(),
    exceptions: contents.exceptions.sort((a, b) => compareText(a.key, b.key) || a.seq - b.seq),
    conflicts: contents.conflicts,
    workspaces: contents.summaries,
    objectsChecked: toCheck.length,
    bytesChecked,
    signaturesChecked: signatures?.checked ?? 0,
    ...(options.verifier && { keyFingerprint: options.verifier.fingerprint }),
    lockChecked: locks.lockChecked,
    ...(locks.heldObjects.length > 0 && { heldObjects: locks.heldObjects.sort(compareText) }),
    lockState: locks.lockState,
    notes: problems.notes,
    receipts: options.verifier ? cleanReceipts(contents.heads, shas, sorted) : [],
    ...(versionsChecked !== undefined && { versionsChecked }),
  };
}

interface ChainReading {
  readonly reader: ArchiveReader;
  readonly inventory: Inventory;
  readonly shas: ManifestShas;
  readonly signatures: SignatureCheck | undefined;
  readonly problems: ProblemList;
  readonly receipts: ReadonlyMap<string, HeadReceipt>;
  readonly concurrency: number;
}

/** Each workspace's chain in id order: walked, its signatures checked, weighed, and its contents added. */
async function readChains(r: ChainReading): Promise<ArchiveContents> {
  const { reader, inventory, shas, signatures, problems, concurrency } = r;
  const contents = new ArchiveContents(problems);
  for (const [workspaceId, seqs] of [...inventory.manifestSeqs].sort(([a], [b]) => compareText(a, b))) {
    const from = await startOf(reader, workspaceId, seqs, r.receipts.get(workspaceId), problems);
    const chain = await walkChain(reader, workspaceId, seqs, shas, problems.report, { concurrency, from });
    const signed = signatures && (await signatures.check(workspaceId, chain.last, chain.from));
    contents.add(chain, await chainWeight(chain, signed, problems, reader), signed);
  }
  return contents;
}

/** Every object whose lock state is checked, with the SHA-256 the chain records for it. */
function lockTargets({ inventory, contents, referenced }: Accounting, shas: ManifestShas): Map<string, string | undefined> {
  const expected = new Map<string, string | undefined>();
  for (const ref of referenced.values()) expected.set(ref.part.key, ref.part.sha256);
  for (const [key, index] of contents.indexes) if (inventory.indexObjects.has(key)) expected.set(key, index.sha256);
  for (const [key, m] of shas) {
    expected.set(key, m.sha);
    const sig = signatureKey(m.workspaceId, m.seq);
    if (inventory.signatureKeys.has(sig)) expected.set(sig, undefined);
  }
  for (const key of inventory.rotationObjects) expected.set(key, undefined);
  return expected;
}
