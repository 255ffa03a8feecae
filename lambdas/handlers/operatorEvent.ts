/**
 * Operator events the collector Lambda runs (an operator invokes it with one of these instead
 * of the schedule's event): `adopt-unsigned` and `acknowledge`. Each is explicit, names its
 * reason and operator, is logged, and writes a signed manifest that records the decision.
 *
 * @example
 * aws lambda invoke --function-name <collector> --cli-binary-format raw-in-base64-out \
 *   --payload '{"operation":"acknowledge","workspace":"abc123","keys":["activity_logs/…"],"reason":"…","operator":"alice"}' out.json
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import { WORKSPACE_ID } from '../core/archive/keys.ts';
import { acknowledgeObjects, adoptUnsigned } from '../core/operator/operatorManifest.ts';
import type { ManifestSigner, ObjectStore } from '../core/ports.ts';
import { COLLECTOR_VERSION, newRunId } from '../core/version.ts';

const base = { workspace: z.string().regex(WORKSPACE_ID), reason: z.string().min(3), operator: z.string().min(1) };
export const operatorEventSchema = z.discriminatedUnion('operation', [
  z.strictObject({ operation: z.literal('adopt-unsigned'), ...base }),
  z.strictObject({ operation: z.literal('acknowledge'), keys: z.array(z.string().min(1)).min(1), ...base }),
]);
export type OperatorEvent = z.infer<typeof operatorEventSchema>;

/** True when the event asks for an operator operation (anything else is a scheduled run). */
export function isOperatorEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'operation' in event;
}

export async function runOperatorEvent(
  event: unknown,
  deps: { store: ObjectStore; signer?: ManifestSigner; logger: Logger; now: () => Date },
) {
  const parsed = operatorEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ConfigurationError(
      `operator event is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
  const request = {
    workspaceId: e.workspace,
    reason: e.reason,
    operator: e.operator,
    runId: newRunId(deps.now()),
    collectorVersion: COLLECTOR_VERSION,
    now: deps.now,
  };
  deps.logger.warn('operator event', {
    operation: e.operation,
    workspace: e.workspace,
    operator: e.operator,
    reason: e.reason,
    ...(e.operation === 'acknowledge' && { keys: e.keys }),
  });
  if (e.operation === 'adopt-unsigned') {
    if (!deps.signer) throw new ConfigurationError("adopt-unsigned needs the signing key: set the collector's SIGNING_KEY_ID");
    const result = await adoptUnsigned(deps.store, deps.signer, request);
    deps.logger.warn('unsigned manifests adopted', { workspace: e.workspace, manifest: result.manifest.key, adopted: result.covered });
    return { operation: e.operation, manifest: result.manifest.key, covered: result.covered };
  }
  const result = await acknowledgeObjects(deps.store, e.keys, { ...request, ...(deps.signer && { signer: deps.signer }) });
  deps.logger.warn('objects acknowledged', { workspace: e.workspace, manifest: result.manifest.key, acknowledged: result.covered });
  return { operation: e.operation, manifest: result.manifest.key, covered: result.covered };
}
