/** Builds the CDK app with its offline checks: cdk-nag AwsSolutions and cfn-guard (Control Tower rules). */
import { App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditArchiveStack } from './AuditArchiveStack.ts';
import { parseDeployConfig } from './config.ts';

/**
 * Control Tower proactive controls that do not fit this design, each with its reason (also in
 * the README's Deploy section).
 */
export const DISABLED_GUARD_RULES: Record<string, string> = {};

/** Feature flags the stack relies on, so tests and `cdk synth` build the same template. */
export const FEATURE_FLAGS = {
  // Access-log delivery through a bucket policy instead of an ACL (no ACLs anywhere).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
};

export interface BuildOptions {
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  readonly queriesDir?: string;
}

export function buildApp(options: BuildOptions = {}) {
  const app = new App({
    context: { ...FEATURE_FLAGS, ...options.context },
    ...(options.outdir && { outdir: options.outdir }),
  });
  const config = parseDeployConfig(app.node.tryGetContext('auditArchive'));
  const stack = new AuditArchiveStack(app, 'IntercomAuditArchive', {
    config,
    ...(options.queriesDir && { queriesDir: options.queriesDir }),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator({ disabledRules: Object.keys(DISABLED_GUARD_RULES) }));
  return { app, stack, config };
}
