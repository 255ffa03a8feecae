/**
 * Report packs the console lists: folders under a local reports folder, or the packs under
 * `reports/` of an S3 archive, read through the ObjectStore port. A pack is a folder that
 * holds manifest.json; only names found by listing are ever opened.
 */
import type { ObjectStore } from '../../lambdas/core/ports.ts';

export interface PackSummary {
  readonly name: string;
  readonly quarter: string | null;
  readonly period: unknown;
  readonly generated_at: string | null;
  readonly engine: string | null;
  readonly lang: string | null;
  readonly coverage: unknown;
  readonly population: unknown;
  readonly files: number;
  readonly has_summary: boolean;
}

export class PackSource {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
  ) {}

  /** Pack folder names, newest name last. */
  async names(): Promise<string[]> {
    const names = new Set<string>();
    for await (const object of this.store.list(this.prefix)) {
      const rest = object.key.slice(this.prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0 && rest.slice(slash + 1) === 'manifest.json') names.add(rest.slice(0, slash));
    }
    return [...names].sort();
  }

  async list(): Promise<PackSummary[]> {
    const packs: PackSummary[] = [];
    for (const name of await this.names()) packs.push(await this.summary(name));
    return packs;
  }

  /** summary.html of a pack the listing names; any other name is undefined. */
  async summaryHtml(name: string): Promise<Buffer | undefined> {
    if (!(await this.names()).includes(name)) return undefined;
    return (await this.store.head(`${this.prefix}${name}/summary.html`)) !== undefined
      ? this.store.get(`${this.prefix}${name}/summary.html`)
      : undefined;
  }

  private async summary(name: string): Promise<PackSummary> {
    let manifest: Record<string, unknown> = {};
    try {
      manifest = JSON.parse((await this.store.get(`${this.prefix}${name}/manifest.json`)).toString('utf8')) as Record<string, unknown>;
    } catch {
      // An unreadable manifest is listed with empty fields: `report verify` says what is wrong with it.
    }
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return {
      name,
      quarter: text(manifest.quarter),
      period: manifest.period ?? null,
      generated_at: text(manifest.generated_at),
      engine: text(manifest.engine),
      lang: text(manifest.lang),
      coverage: manifest.coverage ?? null,
      population: manifest.population ?? null,
      files: Array.isArray(manifest.files) ? manifest.files.length : 0,
      has_summary: (await this.store.head(`${this.prefix}${name}/summary.html`)) !== undefined,
    };
  }
}
