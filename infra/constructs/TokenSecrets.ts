/**
 * The Intercom tokens: one secret per workspace, created without a value (an L2 Secret would
 * generate a random string that looks like a bad token; the README says how to set it), under
 * their own key usable only through Secrets Manager. Only the collector reads a token: the key
 * policy and each secret's resource policy say so, whatever IAM says.
 */
import { Aws, CfnOutput } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.ts';
import type { DeployConfig } from '../config.ts';
import type { KeyAdministrators } from '../keyPolicies.ts';
import { StackSection } from '../SectionedStack.ts';
import { pinLogicalId, pinStateful, tokenSecretLogicalIds } from '../statefulLogicalIds.ts';
import { tokensKey } from './keys.ts';

/** Token secrets are named `<prefix><workspace id>`. */
export const SECRET_NAME_PREFIX = 'intercom-audit-archive/';

export interface TokenSecretsProps {
  readonly workspaces: DeployConfig['workspaces'];
  readonly admins: KeyAdministrators;
}

export type Workspace = DeployConfig['workspaces'][number];

export class TokenSecrets extends StackSection {
  readonly key: kms.Key;
  readonly secrets: readonly { readonly workspace: Workspace; readonly secret: secretsmanager.CfnSecret }[];

  constructor(scope: Construct, id: string, props: TokenSecretsProps) {
    super(scope, id);
    this.key = tokensKey(this, props.admins);
    pinStateful(this.key, 'tokensKey');
    this.secrets = props.workspaces.map((workspace) => {
      const secret = new secretsmanager.CfnSecret(this, `Token-${workspace.id}`, {
        name: `${SECRET_NAME_PREFIX}${workspace.id}`,
        description: `Intercom access token (Read admin activity logs) for workspace ${workspace.id}`,
        kmsKeyId: this.key.keyArn,
      });
      pinLogicalId(secret, tokenSecretLogicalIds(workspace.id).secret);
      acknowledge(secret, {
        'AwsSolutions-SMG4': 'Intercom access tokens are issued by Intercom and cannot be rotated by a Secrets Manager rotation function.',
      });
      return { workspace, secret };
    });
  }

  /** Secret references (name or ARN) the collector reads. */
  get secretRefs(): string[] {
    return this.secrets.map((s) => s.secret.ref);
  }

  /** The collector decrypts tokens through Secrets Manager, and only it may read them. */
  readableOnlyBy(collectorRoleArn: string): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CollectorReadsTokens',
        principals: [new iam.ArnPrincipal(collectorRoleArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    for (const { workspace, secret } of this.secrets) {
      const policy = new secretsmanager.CfnResourcePolicy(this, `${secret.node.id}Policy`, {
        secretId: secret.ref,
        blockPublicPolicy: true,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyTheCollectorReadsTheToken',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': collectorRoleArn } },
            },
          ],
        },
      });
      pinLogicalId(policy, tokenSecretLogicalIds(workspace.id).policy);
    }
  }

  /** One output per workspace: where the operator sets its token. */
  addOutputs(): void {
    for (const { workspace, secret } of this.secrets)
      new CfnOutput(this, `TokenSecret${workspace.id.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: secret.ref,
        description: `Set the Intercom token of ${workspace.id} here`,
      });
  }
}
