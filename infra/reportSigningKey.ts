/**
 * The report-signing key: a KMS asymmetric key (RSASSA-PSS SHA-256) separate from the manifest
 * key, so the collector stays the only principal that can sign manifests and the reporter the
 * only one that can sign report packs. Administrators manage it but cannot sign; auditors
 * verify and read the public key.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface ReportSigningKeyProps {
  readonly reporterRole: iam.IRole;
  readonly auditorRole: iam.IRole;
  /** The stack's key administration statements (key-policies.ts), the same on every key. */
  readonly administration: readonly iam.PolicyStatement[];
  /** The statement that keeps KMS grants to AWS services (the stack's shared one). */
  readonly grantsOnlyForAwsServices: iam.PolicyStatement;
}

export function reportSigningKey(scope: Construct, props: ReportSigningKeyProps): kms.Key {
  return new kms.Key(scope, 'ReportSigningKey', {
    description: 'Signs Intercom audit report packs (only the reporter may sign; not the manifest key)',
    keySpec: kms.KeySpec.RSA_3072,
    keyUsage: kms.KeyUsage.SIGN_VERIFY,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        // Administrators manage but can neither sign nor put a key policy that would let them.
        ...props.administration,
        new iam.PolicyStatement({
          sid: 'ReporterSigns',
          principals: [new iam.ArnPrincipal(props.reporterRole.roleArn)],
          actions: ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'AuditorsVerify',
          principals: [new iam.ArnPrincipal(props.auditorRole.roleArn)],
          actions: ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey'],
          resources: ['*'],
        }),
        props.grantsOnlyForAwsServices,
      ],
    }),
  });
}
