/**
 * The SIEM feed: after a window's manifest is signed, one message per part that manifest lists,
 * shaped as an S3 event notification (bucket, key, size, eTag), so the Splunk Add-on for AWS
 * (SQS-based S3 input) and the Datadog Forwarder fetch the part as if S3 had announced it.
 *
 * Announcing from the signed manifest — not from a bucket notification — is the point: a bucket
 * notification would announce every object put into activity_logs/, including one planted by
 * someone without the signing key, or a part the collector refused to adopt. Only parts a
 * signed manifest lists are announced; quarantine parts are not data and are never announced.
 */
import type { StoredManifest } from '../archive/chain.ts';
import type { ObjectStore } from '../ports.ts';

/** Publishes feed messages (SNS on AWS); throws when any message was not accepted. */
export interface FeedPublisher {
  publish(messages: readonly FeedMessage[]): Promise<void>;
}

export interface FeedMessage {
  /** The S3 event notification, JSON text. */
  readonly body: string;
  /** Stable per part: consumers can drop a repeat. */
  readonly id: string;
}

export interface FeedTarget {
  readonly bucket: string;
  /** Key prefix of the archive inside the bucket ('' or ending in '/'). */
  readonly prefix: string;
  readonly region: string;
}

export const FEED_CONFIGURATION_ID = 'intercom-audit-archive-siem-feed';

/** S3 URL-encodes keys in event notifications (space as '+'); consumers decode with unquote_plus. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

export function s3EventNotification(
  target: FeedTarget,
  part: { key: string; bytes: number; eTag: string; sha256: string; records: number },
  manifest: { workspaceId: string; seq: number; sha256: string; writtenAt: string },
): Record<string, unknown> {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: target.region,
        eventTime: manifest.writtenAt,
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'intercom-audit-archive' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: FEED_CONFIGURATION_ID,
          bucket: { name: target.bucket, arn: `arn:aws:s3:::${target.bucket}` },
          object: {
            key: encodeS3EventKey(target.prefix + part.key),
            size: part.bytes,
            eTag: part.eTag,
            sequencer: manifest.seq.toString(16).toUpperCase().padStart(16, '0'),
          },
        },
        // Not part of S3's format (consumers ignore it): traces the announcement to the signed manifest.
        intercomAuditArchive: {
          workspaceId: manifest.workspaceId,
          manifestSeq: manifest.seq,
          manifestSha256: manifest.sha256,
          sha256: part.sha256,
          records: part.records,
        },
      },
    ],
  };
}

/**
 * Announces every part `manifest` lists (and nothing else). The eTag is S3's own, read with a
 * HEAD of each listed part, so a consumer that checks it sees the object S3 holds.
 */
export async function announceManifest(
  store: ObjectStore,
  manifest: StoredManifest,
  publisher: FeedPublisher,
  target: FeedTarget,
): Promise<number> {
  const messages: FeedMessage[] = [];
  for (const part of manifest.manifest.parts) {
    const info = await store.head(part.key);
    const eTag = info?.etag ?? '';
    const body = s3EventNotification(
      target,
      { key: part.key, bytes: part.bytes, eTag, sha256: part.sha256, records: part.records },
      {
        workspaceId: manifest.manifest.workspace_id,
        seq: manifest.manifest.seq,
        sha256: manifest.sha256,
        writtenAt: manifest.manifest.run.written_at,
      },
    );
    messages.push({
      body: JSON.stringify(body),
      id: `${manifest.manifest.workspace_id}:${manifest.manifest.seq}:${part.sha256.slice(0, 16)}`,
    });
  }
  if (messages.length > 0) await publisher.publish(messages);
  return messages.length;
}
