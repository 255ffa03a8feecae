/** Builds the console page (index.html, app.js, app.css) into `outDir`. */
export function buildConsolePage(outDir: string): Promise<void>;
