/**
 * What auditors query: the Glue database over the archive (partition projection, no crawler),
 * the view that reads only chain-listed parts, the Athena workgroup that writes encrypted results,
 * and one named query per canned `.sql` file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Aws, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ARCHIVE_COLUMNS, QUARANTINE_COLUMNS, ROSTER_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { INDEX_TABLE, LISTED_VIEW, RAW_TABLE, prestoViewText } from '../../lambdas/core/queries/listedView.ts';
import type { DeployConfig } from '../config.ts';
import { StackSection } from '../SectionedStack.ts';
import { type StatefulResource, pinStateful } from '../statefulLogicalIds.ts';
import { ROOT } from './AuditFunction.ts';
import { type HiveJsonTableProps, hiveJsonTable } from './hiveJsonTable.ts';

export const DATABASE_NAME = 'intercom_audit_archive';
/** The tables the reporter reads (the auditor reads every table of the database). */
export const REPORTED_TABLES = [LISTED_VIEW, RAW_TABLE, INDEX_TABLE, 'quarantine', 'teammate_rosters'];

export interface QueryCatalogProps {
  readonly config: DeployConfig;
  readonly archiveBucket: s3.IBucket;
  readonly results: s3.IBucket;
  /** Encrypts the query results. */
  readonly key: kms.IKey;
  /** Folder of canned queries, one named query per `.sql` file. @default queries/ of this repository */
  readonly queriesDir?: string;
}

export class QueryCatalog extends StackSection {
  readonly workgroup: athena.CfnWorkGroup;
  readonly queriesDir: string;
  private readonly results: s3.IBucket;

  constructor(scope: Construct, id: string, props: QueryCatalogProps) {
    super(scope, id);
    this.results = props.results;
    this.queriesDir = props.queriesDir ?? path.join(ROOT, 'queries');
    this.tables(props);
    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: 'intercom-audit-archive',
      description: 'Canned compliance queries over the Intercom audit archive',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: Math.round(props.config.athenaScanCutoffGb * 1024 ** 3),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.results.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });
    pinStateful(this.workgroup, 'workgroup');
    this.namedQueries();
  }

  get workgroupArn(): string {
    return Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroup.ref });
  }

  /** The catalog, the database and the named tables (`*` for all) as Glue ARNs. */
  glueArns(tables: readonly string[]): string[] {
    const stack = Stack.of(this);
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: DATABASE_NAME }),
      ...tables.map((name) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${DATABASE_NAME}/${name}` })),
    ];
  }

  /** What a principal running queries in the workgroup needs on the results bucket. */
  resultsStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'AthenaResults',
      actions: [
        's3:GetObject',
        's3:PutObject',
        's3:ListBucket',
        's3:GetBucketLocation',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ],
      resources: [this.results.bucketArn, this.results.arnForObjects('results/*')],
    });
  }

  private tables(props: QueryCatalogProps): void {
    const { config, archiveBucket } = props;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: DATABASE_NAME, description: 'Intercom teammate activity logs' },
    });
    pinStateful(database, 'database');
    const common = {
      databaseName: DATABASE_NAME,
      bucketName: archiveBucket.bucketName,
      workspaceIds: config.workspaces.map((w) => w.id),
      start: config.backfillFrom ?? '2024-01-01',
    };
    type TableProps = Omit<HiveJsonTableProps, keyof typeof common>;
    const table = (tableId: string, pin: StatefulResource, t: TableProps) => {
      const created = hiveJsonTable(this, tableId, { ...common, ...t });
      created.addResourceDependency(database);
      pinStateful(created, pin);
      return created;
    };
    // Every object under activity_logs/, listed or not: the canned queries read the view below instead.
    const raw = table('ActivityLogsTable', 'activityLogsTable', {
      tableName: RAW_TABLE,
      prefix: 'activity_logs/',
      description:
        'Every object under activity_logs/, chain-listed or not; query the activity_logs view, which reads only the parts the manifest chain lists',
      columns: ARCHIVE_COLUMNS,
    });
    // Quarantined entries (failed validation, kept verbatim): the report pack lists them as exceptions.
    table('QuarantineTable', 'quarantineTable', {
      tableName: 'quarantine',
      prefix: 'quarantine/',
      description: 'Entries Intercom served that failed validation, verbatim with the reason',
      columns: QUARANTINE_COLUMNS,
    });
    // The daily teammate list (GET /admins) the access review reads; listed by roster manifests.
    table('TeammateRostersTable', 'teammateRostersTable', {
      tableName: 'teammate_rosters',
      prefix: 'rosters/',
      description: 'Daily snapshots of the Intercom teammate list (GET /admins), one teammate per row',
      columns: ROSTER_COLUMNS,
    });
    const index = this.indexTable(common.bucketName, common.workspaceIds);
    index.addResourceDependency(database);
    const view = this.listedView();
    view.addResourceDependency(raw);
    view.addResourceDependency(index);
  }

  /** The part index the collector writes beside each manifest. */
  private indexTable(bucketName: string, workspaceIds: readonly string[]): glue.CfnTable {
    const table = new glue.CfnTable(this, 'ArchiveIndexTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: DATABASE_NAME,
      tableInput: {
        name: INDEX_TABLE,
        tableType: 'EXTERNAL_TABLE',
        description: 'One row per data part a manifest lists (status listed) or rejects (status rejected); written by the collector',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.workspace.type': 'enum',
          'projection.workspace.values': workspaceIds.join(','),
          'storage.location.template': `s3://${bucketName}/index/workspace=\${workspace}/`,
        },
        partitionKeys: [{ name: 'workspace', type: 'string' }],
        storageDescriptor: {
          location: `s3://${bucketName}/index/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: [
            { name: 'seq', type: 'bigint', comment: 'Manifest sequence number' },
            { name: 'key', type: 'string', comment: 'Archive key of the part' },
            { name: 'status', type: 'string', comment: 'listed or rejected' },
          ],
        },
      },
    });
    pinStateful(table, 'archiveIndexTable');
    return table;
  }

  /** The view the queries read: only parts the manifest chain lists. */
  private listedView(): glue.CfnTable {
    const columns = [
      ...ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
      { name: 'workspace', type: 'string' as const },
      { name: 'dt', type: 'string' as const },
    ];
    const view = new glue.CfnTable(this, 'ActivityLogsView', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: DATABASE_NAME,
      tableInput: {
        name: LISTED_VIEW,
        tableType: 'VIRTUAL_VIEW',
        description: 'One row per archived Intercom activity in a part the manifest chain lists (never an unlisted or rejected object)',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: prestoViewText(DATABASE_NAME, columns),
        viewExpandedText: '/* Presto View */',
        storageDescriptor: { columns: columns.map((c) => ({ name: c.name, type: c.type })) },
      },
    });
    pinStateful(view, 'activityLogsView');
    return view;
  }

  private namedQueries(): void {
    for (const file of listSql(this.queriesDir)) {
      const name = path.basename(file, '.sql');
      const sql = readFileSync(path.join(this.queriesDir, file), 'utf8');
      const title = /^--\s*(?:title:\s*)?(.+)$/im.exec(sql)?.[1]?.trim() ?? name;
      new athena.CfnNamedQuery(this, `Query-${name}`, {
        name,
        database: DATABASE_NAME,
        workGroup: this.workgroup.ref,
        queryString: sql,
        description: title.slice(0, 1024),
      }).addResourceDependency(this.workgroup);
    }
  }
}

function listSql(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
  } catch {
    return [];
  }
}
