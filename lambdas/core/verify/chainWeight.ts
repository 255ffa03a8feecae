/**
 * Which manifests carry weight: unsigned manifests a signed recovery supersedes carry none; ones
 * a signed adoption adopts are accepted; any other unsigned manifest after the first signature is
 * a problem, and before it a warning (signing began later).
 */
import { manifestKey } from '../archive/keys.ts';
import { signatureKey } from '../signing/signatures.ts';
import type { WalkedChain } from './chainWalk.ts';
import type { ProblemList } from './ProblemList.ts';
import type { ChainSignatures } from './SignatureCheck.ts';
import { formatSeqs } from './types.ts';

export interface ChainWeight {
  readonly superseded: Set<number>;
  readonly adopted: Set<number>;
}

/** The supersedes/adopts references of every manifest, checked against the hashes in the chain. */
export function chainWeight(chain: WalkedChain, signatures: ChainSignatures | undefined, problems: ProblemList): ChainWeight {
  const counts = (seq: number) => signatures === undefined || signatures.signed.has(seq);
  const weight: ChainWeight = { superseded: new Set<number>(), adopted: new Set<number>() };
  for (const { manifest, key } of chain.links.values()) {
    const refs = [
      ...(manifest.supersedes ?? []).map((r) => ['supersedes', r] as const),
      ...(manifest.adopts ?? []).map((r) => ['adopts', r] as const),
    ];
    for (const [how, ref] of refs) {
      const target = chain.links.get(ref.seq);
      if (ref.seq >= manifest.seq || !target || target.sha !== ref.sha256) {
        problems.report(
          'chain-broken',
          key,
          `manifest ${key} ${how} manifest ${ref.seq} with SHA-256 ${ref.sha256}, but ${target ? `it hashes to ${target.sha}` : 'it is not in the chain'}`,
        );
        continue;
      }
      if (counts(manifest.seq)) (how === 'supersedes' ? weight.superseded : weight.adopted).add(ref.seq);
    }
  }
  if (signatures) reportUnsigned(chain, signatures, weight, problems);
  return weight;
}

/**
 * Unsigned manifests: accepted when a signed recovery supersedes them or a signed adoption
 * adopts them; before the chain's first signature, a warning (signing began later, v1); in a
 * chain with no signature at all, the hash chain only (a warning); anything else is a problem.
 */
function reportUnsigned(chain: WalkedChain, signatures: ChainSignatures, weight: ChainWeight, problems: ProblemList): void {
  const { workspaceId, last } = chain;
  const first = signatures.first;
  if (first === null) return;
  const early: number[] = [];
  for (let seq = 0; seq <= last; seq++) {
    // A signature that is present but invalid is reported as such, not as missing.
    if (signatures.present.has(seq) || weight.superseded.has(seq) || weight.adopted.has(seq) || !chain.links.has(seq)) continue;
    const key = manifestKey(workspaceId, seq);
    if (seq < first) early.push(seq);
    else if (seq === last) {
      problems.report(
        'signature-missing',
        key,
        `manifest ${key} (the chain head) has no signature: nothing anchors the chain's end — the next collect run supersedes it with a signed recovery manifest and re-collects its range`,
      );
    } else {
      problems.report(
        'signature-missing',
        key,
        `manifest ${key} has no signature ${signatureKey(workspaceId, seq)} although earlier manifests are signed, and no signed recovery manifest supersedes it`,
      );
    }
  }
  if (early.length > 0) {
    problems.warn(
      'signed-late',
      manifestKey(workspaceId, early[0]!),
      `workspace ${workspaceId}: manifests ${formatSeqs(early)} were written before signing began; they are covered only through the hash chain by the signature of manifest ${first}, which did not write them — run \`audit-archive keys adopt-unsigned\` to re-confirm them explicitly`,
    );
  }
}
