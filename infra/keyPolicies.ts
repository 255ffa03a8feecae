/**
 * Key policies written for their purpose instead of CDK's default (which gives the account root
 * kms:*). Administrators manage a key but cannot use it, change its policy or grant it; only the
 * CloudFormation deployment role may put the key policy (KMS's lockout check requires the
 * principal creating or updating a key to be allowed PutKeyPolicy by the new policy); and no
 * key can be scheduled for deletion with less than 30 days to notice and cancel.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

/** The shortest deletion window anyone may schedule (KMS allows 7). */
export const MIN_KEY_DELETION_DAYS = 30;

/** Manage, never use: no Sign/Decrypt/Encrypt, no PutKeyPolicy, no CreateGrant. */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:GetPublicKey',
  'kms:List*',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

export interface KeyAdministrators {
  /** The role CloudFormation deploys with (ARN, may contain CloudFormation tokens). */
  readonly deploymentRoleArn: string;
  /** Break-glass administrator instead of the account root's IAM principals. @default - the account root */
  readonly breakGlassRoleArn?: string;
}

/**
 * The administration statements every key of this stack carries. Principals are the account
 * with an `aws:PrincipalArn` condition, so re-creating a role does not orphan the policy.
 */
export function keyAdministration(admins: KeyAdministrators): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'AdministerButNeverUse',
      principals: [new iam.AccountRootPrincipal()],
      actions: [...KEY_ADMIN_ACTIONS],
      resources: ['*'],
      ...(admins.breakGlassRoleArn && {
        conditions: { ArnEquals: { 'aws:PrincipalArn': [admins.breakGlassRoleArn, admins.deploymentRoleArn] } },
      }),
    }),
    new iam.PolicyStatement({
      sid: 'OnlyDeploymentPutsKeyPolicy',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['kms:PutKeyPolicy'],
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:PrincipalArn': admins.deploymentRoleArn } },
    }),
    new iam.PolicyStatement({
      sid: 'DenyShortDeletionWindow',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:ScheduleKeyDeletion'],
      resources: ['*'],
      conditions: { NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': MIN_KEY_DELETION_DAYS } },
    }),
  ];
}

/**
 * Lets the account's IAM policies grant encryption use of a symmetric key (the roles of this
 * stack get their grants there), never its administration.
 */
export function useThroughIam(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'UseThroughIamPolicies',
    principals: [new iam.AccountRootPrincipal()],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    resources: ['*'],
  });
}

/** Control Tower CT.KMS.PR.3: only AWS services may be granted use of a key. */
export function grantsOnlyForAwsServices(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}
