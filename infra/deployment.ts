/** Who administers what a stack deploys: the deployment role, and the key administrators. */
import { Annotations, DefaultStackSynthesizer, Fn, type Stack } from 'aws-cdk-lib';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import type { DeployConfig } from './config.ts';
import type { KeyAdministrators } from './keyPolicies.ts';

/**
 * The CDK bootstrap's CloudFormation execution role, which `cdk deploy` passes to CloudFormation.
 * Other synthesizers have none to name: set auditArchive.deploymentRoleArn then.
 */
export function defaultDeploymentRole(stack: Stack): string {
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) {
    throw new ConfigurationError(
      'auditArchive.deploymentRoleArn is required with a synthesizer other than the default one (name the role CloudFormation deploys this stack with)',
    );
  }
  return Fn.sub(stack.synthesizer.cloudFormationExecutionRoleArn);
}

/** The deployment role (the only one that may change bucket administration and key policies) and the key administrators. */
export function administrators(stack: Stack, config: DeployConfig): { deploymentRoleArn: string; admins: KeyAdministrators } {
  const deploymentRoleArn = config.deploymentRoleArn ?? defaultDeploymentRole(stack);
  return {
    deploymentRoleArn,
    admins: { deploymentRoleArn, ...(config.keyAdminRoleArn && { breakGlassRoleArn: config.keyAdminRoleArn }) },
  };
}

export function warnOnGovernanceMode(stack: Stack, config: DeployConfig): void {
  if (config.objectLockMode !== 'GOVERNANCE') return;
  Annotations.of(stack).addWarningV2(
    'audit-archive:governance-mode',
    'Object Lock is in GOVERNANCE mode: principals with s3:BypassGovernanceRetention can delete archived objects early. Use it for trials only; production archives need COMPLIANCE.',
  );
}
