/**
 * The Security Lake export job's entry point. Everything is built here, at module scope, once per
 * container: the configuration and the clients; each invocation only runs.
 */
import { createSecurityLakeHandler, securityLakeDepsFromEnvironment } from './securityLake.ts';

export const handler = createSecurityLakeHandler(securityLakeDepsFromEnvironment(process.env));
