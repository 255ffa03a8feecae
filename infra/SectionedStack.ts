/**
 * Stacks composed of sections. A section groups the resources of one concern for the reader (the
 * collector, the buckets, the catalog…) without appearing in their logical ids: the template keeps
 * the ids the first, single-construct stack gave them, so updating a deployed stack replaces
 * nothing. (CloudFormation replaces a resource whose logical id changes: a named workgroup, bus or
 * Glue table would fail to re-create under its name, a replaced bucket policy would be deleted
 * after its successor was written, and every role ARN given to auditors would change.) The
 * stateful resources are pinned on top of this (statefulLogicalIds.ts), so even a section moved
 * into another construct keeps them.
 *
 * `Stack.allocateLogicalId` is CDK's documented extension point for this; a regular construct
 * (SiemFeed, TamperAlarms, a new construct) keeps its id in its resources' ids as usual.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** A construct whose id is left out of the logical ids of the resources inside it. */
export class StackSection extends Construct {}

export class SectionedStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    // Two sections holding children of the same id would collide: CDK's template merge throws then.
    const scopes = element.node.scopes.filter((scope) => !(scope instanceof StackSection));
    return super.allocateLogicalId({ node: { scopes }, stack: this } as unknown as CfnElement);
  }
}
