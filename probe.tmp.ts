import { buildApp } from './infra/buildApp.ts';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
process.env.CDK_DISABLE_VERSION_CHECK='1';
const ex = JSON.parse(readFileSync('cdk.json','utf8')).context.auditArchive;
const { stack } = buildApp({ context: { auditArchive: ex }, outdir: '/tmp/i19-cdkout' });
const t = Template.fromStack(stack).toJSON();
for (const [id, r] of Object.entries<any>(t.Resources)) console.log(id, r.Type, r.DeletionPolicy ?? '');
for (const [id, r] of Object.entries<any>(t.Resources)) if (r.Type==='AWS::KMS::Key') console.log(id, JSON.stringify(r.Properties.KeyPolicy, null, 1));
