/** The public key the local collector signed an archive's chains with, if this machine holds it. */
import { Ed25519Signer } from '../lambdas/adapters/local/Ed25519Signer.ts';
import type { PublicKeyVerifier } from '../lambdas/core/signing/PublicKeyVerifier.ts';
import { listWorkspaces } from '../lambdas/core/archive/chain.ts';
import type { ObjectStore } from '../lambdas/core/ports.ts';
import { archiveKey } from '../lambdas/core/signing/chainKey.ts';

/** Found by the fingerprint the chain's signatures name (never a key taken from the archive itself). */
export async function collectorKeyVerifier(
  store: ObjectStore,
  archiveDir: string,
): Promise<{ verifier: PublicKeyVerifier; publicKeyPath: string } | undefined> {
  const expected = await archiveKey(store, await listWorkspaces(store));
  return expected && Ed25519Signer.existingVerifier(archiveDir, expected);
}
