#!/usr/bin/env node
/** CDK entry point (`npx cdk synth` / `npx cdk deploy`), configured by the `auditArchive` context. */
import { ArchiveError } from '../lambdas/core/errors.ts';
import { buildApp } from './buildApp.ts';

try {
  buildApp().app.synth();
} catch (error) {
  if (error instanceof ArchiveError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
