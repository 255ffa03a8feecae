/**
 * The reporter Lambda's entry point. Everything is built here, at module scope, once per
 * container: the configuration, the canned queries and the SDK clients; each invocation only runs.
 */
import { createReporterHandler, reporterDepsFromEnvironment } from './reporter.ts';

export const handler = createReporterHandler(reporterDepsFromEnvironment(process.env));
