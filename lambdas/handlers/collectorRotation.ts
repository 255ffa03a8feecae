/**
 * The rotate-key operator event, e.g. `{"operation":"rotate-key","new_key_id":"arn:aws:kms:…"}`:
 * the collector stays the only writer of signatures/ and keys/, and the only signer.
 */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import type { ManifestSigner } from '../core/ports.ts';
import { rotateKey } from '../core/signing/rotation.ts';
import { type AnchorDeps, anchorHead } from './collectorAnchor.ts';
import type { CollectorConfig } from './collectorConfig.ts';

const operatorEventSchema = z.strictObject({
  operation: z.literal('rotate-key'),
  /** The new KMS key (id, ARN or alias); the collector role must be allowed kms:Sign and kms:GetPublicKey on it. */
  new_key_id: z.string().min(1),
  /** Only this workspace (default: every configured workspace). */
  workspace: z.string().optional(),
});
export type OperatorEvent = z.infer<typeof operatorEventSchema>;

export interface RotationOutcome {
  readonly workspaceId: string;
  readonly oldFingerprint: string;
  readonly newFingerprint: string;
  readonly firstSeq: number;
}

export function rotateKeyEvent(event: unknown): OperatorEvent | undefined {
  if (typeof event !== 'object' || event === null || !('operation' in event)) return undefined;
  const parsed = operatorEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ConfigurationError(
      `operator event is invalid (${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}); send {"operation":"rotate-key","new_key_id":"<KMS key>","workspace":"<optional id>"}`,
    );
  }
  return parsed.data;
}

export interface RotationDeps extends AnchorDeps {
  readonly config: CollectorConfig;
  readonly now: () => Date;
  readonly signerFor?: (keyId: string) => ManifestSigner;
}

/** Hands each chosen workspace's chain over to the new key, and anchors the new head. */
export async function rotate(deps: RotationDeps, operation: OperatorEvent): Promise<{ rotations: RotationOutcome[] }> {
  const { config, signer } = deps;
  if (!signer) throw new ConfigurationError('rotate-key: this collector has no signing key (SIGNING_KEY_ID) to hand the chain over from');
  if (!deps.signerFor) throw new ConfigurationError('rotate-key: this collector cannot build a signer for another key');
  const next = deps.signerFor(operation.new_key_id);
  const workspaces = config.WORKSPACES.filter((w) => operation.workspace === undefined || w.id === operation.workspace);
  if (workspaces.length === 0)
    throw new ConfigurationError(
      `rotate-key: workspace ${operation.workspace} is not one of this collector's (${config.WORKSPACES.map((w) => w.id).join(', ')})`,
    );
  const rotations: RotationOutcome[] = [];
  for (const workspace of workspaces) {
    const record = await rotateKey(deps.store, workspace.id, signer, next, deps.now());
    const outcome = {
      workspaceId: workspace.id,
      oldFingerprint: record.old_key.fingerprint,
      newFingerprint: record.new_key.fingerprint,
      firstSeq: record.first_seq,
    };
    deps.logger.info('signing key rotated: set SIGNING_KEY_ID to the new key before the next run', {
      ...outcome,
      newKeyId: operation.new_key_id,
    });
    rotations.push(outcome);
    const problem = await anchorHead(deps, workspace.id);
    if (problem) throw new Error(problem);
  }
  return { rotations };
}
