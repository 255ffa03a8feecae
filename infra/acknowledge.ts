/** cdk-nag / cfn-guard acknowledgements and the resource names their finding ids use. */
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Narrow acknowledgements, each with its reason (cdk-nag and cfn-guard both read Validations). */
export function acknowledge(scope: IConstruct, reasons: Record<string, string>): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id CloudFormation uses for a construct's main resource (cdk-nag finding ids name it). */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
}

/**
 * How a cdk-nag finding id renders a bucket's ARN: `<LogicalId.Arn>` for a bucket of this stack,
 * the ARN itself for one named from another account's stack (the two-account layout).
 */
export function bucketArnInFinding(bucket: IConstruct & { readonly bucketName: string }): string {
  return bucket.node.defaultChild ? `<${logicalIdOf(bucket)}.Arn>` : `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
}

/** The reason every Lambda role acknowledges: CDK's grant for the KMS-encrypted failure queue. */
export const FAILURE_QUEUE_GRANTS = {
  'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
  'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
};
