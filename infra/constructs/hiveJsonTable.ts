/**
 * Glue tables over archive prefixes laid out like activity_logs/ (`<prefix>workspace=<id>/dt=<day>/`,
 * gzip JSON lines): partition projection, no crawler, the Hive JSON SerDe. Columns come from the
 * writer's column definitions, as for activity_logs.
 */
import { Aws } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { Construct } from 'constructs';
import type { ColumnDefinition } from '../../lambdas/core/archive/columns.ts';

export interface HiveJsonTableProps {
  readonly databaseName: string;
  readonly tableName: string;
  readonly description: string;
  /** Key prefix, e.g. `quarantine/`. */
  readonly prefix: string;
  readonly bucketName: string;
  readonly workspaceIds: readonly string[];
  /** First day of the `dt` projection, `YYYY-MM-DD`. */
  readonly start: string;
  readonly columns: readonly ColumnDefinition[];
}

export function hiveJsonTable(scope: Construct, id: string, props: HiveJsonTableProps): glue.CfnTable {
  return new glue.CfnTable(scope, id, {
    catalogId: Aws.ACCOUNT_ID,
    databaseName: props.databaseName,
    tableInput: {
      name: props.tableName,
      tableType: 'EXTERNAL_TABLE',
      description: props.description,
      parameters: {
        classification: 'json',
        'projection.enabled': 'true',
        'projection.workspace.type': 'enum',
        'projection.workspace.values': props.workspaceIds.join(','),
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${props.start},NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'storage.location.template': `s3://${props.bucketName}/${props.prefix}workspace=\${workspace}/dt=\${dt}/`,
      },
      partitionKeys: [
        { name: 'workspace', type: 'string' },
        { name: 'dt', type: 'string' },
      ],
      storageDescriptor: {
        location: `s3://${props.bucketName}/${props.prefix}`,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        compressed: true,
        serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
        columns: props.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
      },
    },
  });
}
