/**
 * The app's KMS keys, each with a policy written for its purpose instead of CDK's default (which
 * gives the account root kms:*): administrators manage a key but cannot use it or change its
 * policy (keyPolicies.ts); only AWS services may be granted use of it.
 */
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.ts';
import { type KeyAdministrators, grantsOnlyForAwsServices, keyAdministration, useThroughIam } from '../keyPolicies.ts';

/** A principal a key policy names, with the statement id it gets. */
export interface KeyUser {
  readonly sid: string;
  readonly principal: iam.IPrincipal;
}

/**
 * A symmetric key the account's IAM policies grant use of, that EventBridge, CloudWatch alarms
 * and CloudWatch Logs of this account may encrypt with (topics, queues, log groups).
 */
export function serviceKey(scope: Construct, id: string, description: string, admins: KeyAdministrators): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({ statements: [...keyAdministration(admins), useThroughIam()] }),
  });
  const sourceAccount = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } };
  // EventBridge publishes tamper alarms to the encrypted topic and failed schedules to the encrypted queue.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'EventBridgePublishes',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: sourceAccount,
    }),
  );
  // CloudWatch alarms publish to the encrypted topic.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: sourceAccount,
    }),
  );
  key.addToResourcePolicy(grantsOnlyForAwsServices());
  // CloudWatch Logs encrypts the functions' log groups with the key.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
      },
    }),
  );
  return key;
}

export interface SigningKeyProps {
  readonly description: string;
  readonly admins: KeyAdministrators;
  /** The one principal that may sign (kms:Sign, kms:GetPublicKey, kms:DescribeKey). */
  readonly signer: KeyUser;
  /** Principals that verify and read the public key. @default - none at creation; add statements later */
  readonly verifiers?: readonly KeyUser[];
}

/**
 * An RSASSA-PSS SHA-256 signing key (RSA 3072). Administrators manage it but can neither sign nor
 * put a key policy that would let them; only `signer` signs.
 */
export function signingKey(scope: Construct, id: string, props: SigningKeyProps): kms.Key {
  const key = new kms.Key(scope, id, {
    description: props.description,
    keySpec: kms.KeySpec.RSA_3072,
    keyUsage: kms.KeyUsage.SIGN_VERIFY,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        ...keyAdministration(props.admins),
        keyUse(props.signer, ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey']),
        ...(props.verifiers ?? []).map((v) => keyUse(v, VERIFY_ACTIONS)),
        grantsOnlyForAwsServices(),
      ],
    }),
  });
  acknowledge(key, {
    'AwsSolutions-KMS5': 'Asymmetric signing keys cannot be rotated by KMS; rotate by deploying a new key and recording its fingerprint.',
  });
  return key;
}

/** What auditors (and the export job) may do with a signing key: check signatures, read the public key. */
export const VERIFY_ACTIONS = ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey'];

/** A key-policy statement letting `user` take `actions` on the key. */
export function keyUse(user: KeyUser, actions: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: user.sid, principals: [user.principal], actions: [...actions], resources: ['*'] });
}

/** The key the Intercom tokens are encrypted with, usable only through Secrets Manager. */
export function tokensKey(scope: Construct, admins: KeyAdministrators): kms.Key {
  return new kms.Key(scope, 'TokensKey', {
    description: 'Encrypts the Intercom access tokens (only the collector decrypts them)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        ...keyAdministration(admins),
        new iam.PolicyStatement({
          sid: 'SetTokensThroughSecretsManager',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
        grantsOnlyForAwsServices(),
      ],
    }),
  });
}

/**
 * How a role's IAM policy names a key it uses: by ARN when the key is in the same stack; by the
 * key's alias when the key is in the archive account (its id is unknown to this stack).
 */
export interface KeyGrant {
  readonly resources: readonly string[];
  readonly conditions?: Record<string, unknown>;
  /** What API calls pass as KeyId (key ARN or alias ARN). */
  readonly keyId: string;
}

export function keyGrant(key: kms.IKey): KeyGrant {
  return { resources: [key.keyArn], keyId: key.keyArn };
}

/** A key in `account` known by its alias (KMS accepts an alias ARN as KeyId across accounts). */
export function aliasGrant(account: string, region: string, aliasName: string): KeyGrant {
  return {
    resources: [`arn:${Aws.PARTITION}:kms:${region}:${account}:key/*`],
    conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName } },
    keyId: `arn:${Aws.PARTITION}:kms:${region}:${account}:${aliasName}`,
  };
}

/** An IAM statement allowing `actions` on the key `grant` names. */
export function keyGrantStatement(sid: string, actions: readonly string[], grant: KeyGrant): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: [...actions],
    resources: [...grant.resources],
    ...(grant.conditions && { conditions: grant.conditions }),
  });
}
