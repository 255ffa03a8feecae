#!/usr/bin/env node
// Package bin: runs the compiled CLI in dist/ (`npm run build`); no TypeScript loader at run time.
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('audit-archive: dist/ is missing; run `npm run build` in the package folder first.');
    process.exit(2);
  }
  throw error;
}
