/**
 * The archive bucket's server-side rules as pure functions returning policy statements (the
 * aws-solutions-constructs pattern): create-only puts, one writer per prefix (from the contract),
 * legal holds only by the legal-hold role, and bucket administration only by the deployment role.
 *
 * Every condition names principals by `aws:PrincipalArn` (the role ARN, also for its sessions)
 * rather than as `Principal`: a deleted and re-created role keeps matching, where a principal
 * element would have been turned into the old role's unique id.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { ARCHIVE_PREFIXES, ARCHIVE_PREFIX_WRITERS, type ArchivePrefix, type ArchiveWriter } from '../lambdas/contract.ts';

/** Bucket settings only the deployment role may change (an expiration rule would add delete markers to current versions). */
export const ADMIN_ONLY_BUCKET_ACTIONS = [
  's3:PutLifecycleConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketVersioning',
] as const;

/** Role ARNs of the writers this deployment has; a writer that is absent (webhook off) writes nothing. */
export type WriterArns = Partial<Record<ArchiveWriter, string>>;

const SID_NAMES: Record<ArchiveWriter, string> = {
  collector: 'Collector',
  reporter: 'Reporter',
  legalHold: 'LegalHold',
  webhook: 'Webhook',
};

/**
 * AWS's documented way to require `If-None-Match`: deny object-creating PutObject and
 * CompleteMultipartUpload (`s3:ObjectCreationOperation` true) that lack the header; the other
 * multipart steps take no conditional header and are exempt. Copies into the bucket are refused too.
 */
export function requireCreateOnlyPuts(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyPutWithoutIfNoneMatch',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:PutObject'],
    resources: [bucket.arnForObjects('*')],
    conditions: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
  });
}

/**
 * One deny per group of prefixes with the same writers: every other principal is refused
 * s3:PutObject there, whatever its IAM policy says; and nobody may put outside the listed prefixes.
 */
export function prefixWriterStatements(bucket: s3.IBucket, writers: WriterArns): iam.PolicyStatement[] {
  const groups = new Map<string, { writers: ArchiveWriter[]; prefixes: ArchivePrefix[] }>();
  for (const prefix of ARCHIVE_PREFIXES) {
    const names = [...(ARCHIVE_PREFIX_WRITERS[prefix] as readonly ArchiveWriter[])].filter((w) => writers[w] !== undefined);
    const id = names.join('+');
    const group = groups.get(id) ?? { writers: names, prefixes: [] };
    group.prefixes.push(prefix);
    groups.set(id, group);
  }
  const statements = [...groups.values()].map(
    ({ writers: names, prefixes }) =>
      new iam.PolicyStatement({
        sid: names.length ? `DenyPutExcept${names.map((n) => SID_NAMES[n]).join('And')}` : 'DenyPutToAbsentWriters',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)),
        ...(names.length && { conditions: { ArnNotEquals: { 'aws:PrincipalArn': names.map((n) => writers[n]!) } } }),
      }),
  );
  statements.push(
    new iam.PolicyStatement({
      sid: 'DenyPutOutsideListedPrefixes',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      notResources: ARCHIVE_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)),
    }),
  );
  return statements;
}

/** Legal holds are placed and released by the legal-hold role alone. */
export function legalHoldOnlyBy(bucket: s3.IBucket, legalHoldRoleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyLegalHoldExceptLegalHoldRole',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:PutObjectLegalHold'],
    resources: [bucket.arnForObjects('*')],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': legalHoldRoleArn } },
  });
}

/**
 * Lifecycle, policy and versioning changes only through CloudFormation's deployment role, so a
 * stack update still applies them. S3 lets the account root change the bucket policy despite
 * this deny (so nobody is locked out): that path is alarmed, not denied.
 */
export function bucketAdministrationOnlyBy(bucket: s3.IBucket, deploymentRoleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyBucketAdministrationExceptDeployment',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...ADMIN_ONLY_BUCKET_ACTIONS],
    resources: [bucket.bucketArn],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': deploymentRoleArn } },
  });
}
