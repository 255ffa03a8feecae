/**
 * An in-process S3 for the verify bench and tests: the real S3ObjectStore and the real S3Client
 * (serializers, signing, retries, XML parsing), with a smithy request handler in place of the
 * network that answers from a map after an injected delay per request (s3rver cannot inject
 * latency). It keeps nothing per request but counters (aws-sdk-client-mock keeps every call's
 * arguments and result, which at a million requests is gigabytes). Every object is locked
 * COMPLIANCE for seven years (`locks` names exceptions), with S3's SHA-256 checksum.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { type FakeLock, S3Answers } from './s3Answers.ts';

/** What a request handler gets from the SDK (the parts this fake reads). */
interface SdkRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null>;
  readonly headers: Record<string, string>;
}

export interface LatencyCounts {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** Requests by S3 operation. */
  readonly byOperation: Record<string, number>;
  /** Sum of the delays as they happened (a timer fires late when the event loop is busy). */
  delayMsTotal: number;
}

export function latencyS3(
  objects: ReadonlyMap<string, Buffer>,
  bucket: string,
  latencyMs: number,
  locks: ReadonlyMap<string, FakeLock> = new Map(),
) {
  const answers = new S3Answers(objects, bucket, locks);
  const counts: LatencyCounts = { requests: 0, inFlight: 0, maxInFlight: 0, byOperation: {}, delayMsTotal: 0 };
  const requestHandler = {
    async handle(request: SdkRequest) {
      counts.requests += 1;
      counts.inFlight += 1;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      const started = performance.now();
      try {
        await new Promise((resolve) => setTimeout(resolve, latencyMs));
        counts.delayMsTotal += performance.now() - started;
        const { operation, response } = answers.answer(request.method, request.path, request.query ?? {}, request.headers);
        counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
        return { response };
      } finally {
        counts.inFlight -= 1;
      }
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  const client = new S3Client({
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    requestHandler,
  });
  return { client, counts, bucket, restore: () => client.destroy() };
}
