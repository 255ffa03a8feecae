/** Every object the archive holds, by area, listed once before anything is read. */
import { DATA_ROOT, MANIFEST_ROOT, QUARANTINE_ROOT, parseManifestKey } from '../archive/keys.ts';
import { INDEX_ROOT } from '../archive/partIndex.ts';
import { KEYS_ROOT, parseRotationKey } from '../signing/rotation.ts';
import { SIGNATURE_ROOT, parseSignatureKey } from '../signing/signatures.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { Report } from './ProblemList.ts';

export interface Inventory {
  /** Manifest seqs of each workspace, as listed (unsorted). */
  readonly manifestSeqs: Map<string, number[]>;
  /** Data and quarantine objects with their sizes. */
  readonly dataObjects: Map<string, number>;
  readonly indexObjects: Set<string>;
  /** Signature objects of some chain, as listed; the signature check never changes it. */
  readonly signatureKeys: ReadonlySet<string>;
  readonly rotationWorkspaces: Set<string>;
  readonly rotationObjects: Set<string>;
}

/** Lists every area at once (each listing is a chain of pages: one after the other would add up). */
export async function readInventory(reader: ArchiveReader, report: Report): Promise<Inventory> {
  const [manifestSeqs, data, quarantine, indexObjects, signatureKeys, rotations] = await Promise.all([
    listManifests(reader, report),
    listSizes(reader, DATA_ROOT),
    listSizes(reader, QUARANTINE_ROOT),
    listIndexes(reader),
    listSignatures(reader, report),
    listRotations(reader, report),
  ]);
  // Data first, then quarantine: the order they were always listed in.
  const dataObjects = new Map([...data, ...quarantine]);
  return { manifestSeqs, dataObjects, indexObjects, signatureKeys, ...rotations };
}

async function listManifests(reader: ArchiveReader, report: Report): Promise<Map<string, number[]>> {
  const manifestSeqs = new Map<string, number[]>();
  for await (const object of reader.listed(MANIFEST_ROOT)) {
    const parsed = parseManifestKey(object.key);
    if (!parsed) {
      report('stray-object', object.key, `${object.key} is under manifests/ but is not a manifest of any chain`);
      continue;
    }
    const list = manifestSeqs.get(parsed.workspaceId) ?? [];
    list.push(parsed.seq);
    manifestSeqs.set(parsed.workspaceId, list);
  }
  return manifestSeqs;
}

async function listSizes(reader: ArchiveReader, root: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const object of reader.listed(root)) sizes.set(object.key, object.bytes);
  return sizes;
}

async function listIndexes(reader: ArchiveReader): Promise<Set<string>> {
  const indexObjects = new Set<string>();
  for await (const object of reader.store.list(INDEX_ROOT)) indexObjects.add(object.key);
  return indexObjects;
}

async function listSignatures(reader: ArchiveReader, report: Report): Promise<Set<string>> {
  const signatureKeys = new Set<string>();
  for await (const object of reader.listed(SIGNATURE_ROOT)) {
    if (parseSignatureKey(object.key)) signatureKeys.add(object.key);
    else report('stray-object', object.key, `${object.key} is under signatures/ but is not a signature of any chain`);
  }
  return signatureKeys;
}

async function listRotations(reader: ArchiveReader, report: Report) {
  const rotationWorkspaces = new Set<string>();
  const rotationObjects = new Set<string>();
  for await (const object of reader.listed(KEYS_ROOT)) {
    const parsed = parseRotationKey(object.key);
    if (parsed) {
      rotationWorkspaces.add(parsed.workspaceId);
      rotationObjects.add(object.key);
    } else report('stray-object', object.key, `${object.key} is under keys/ but is not a key rotation record of any chain`);
  }
  return { rotationWorkspaces, rotationObjects };
}
