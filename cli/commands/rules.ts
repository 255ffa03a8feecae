/** `audit-archive rules backtest`: the live evaluator over archived history. */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { type RuleBacktest, backtest } from '../../lambdas/core/rules/backtest.ts';
import { describeRuleFailures } from '../../lambdas/core/rules/evaluate.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import { barChart } from '../../lambdas/core/reports/summaryHtml.ts';
import { openArchive } from '../archiveLocation.ts';
import { EXIT } from '../exitCodes.ts';
import { writeResult } from '../output.ts';
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { parseDay, parseNumber } from '../parse.ts';

export interface BacktestOptions {
  readonly archive: string;
  readonly rules: string;
  readonly from: string;
  readonly to: string;
  readonly workspace?: string;
  readonly examples: number;
  readonly html?: string;
}

const day = (flag: string, value: string) => Date.parse(`${parseDay(flag, value)}T00:00:00Z`) / 1000;

export async function runBacktest(options: BacktestOptions): Promise<{ text: string; results: RuleBacktest[]; entries: number }> {
  const from = day('--from', options.from);
  const to = day('--to', options.to) + 86_400;
  if (from >= to) throw new ConfigurationError(`--from ${options.from} is after --to ${options.to}`);
  const text = await fs.readFile(options.rules, 'utf8').catch(() => {
    throw new ConfigurationError(`--rules: cannot read '${options.rules}'`);
  });
  const ruleSet = parseRules(text, options.rules);
  const store = await openArchive(options.archive, { allowS3: true });
  const workspaces = options.workspace ? [options.workspace] : await listWorkspaces(store);
  const { rules, entries, failures, failureCount } = await backtest(store, workspaces, ruleSet, from, to, options.examples);
  const lines = [
    `backtest of ${rules.length} rules over ${entries} archived entries, ${options.from} – ${options.to} (${safeText(workspaces.join(', '))})`,
    '',
  ];
  for (const r of rules) {
    lines.push(`${r.rule} [${r.severity}]: ${r.total} alerts`);
    const weeks = Object.entries(r.perWeek).sort(([a], [b]) => (a < b ? -1 : 1));
    if (weeks.length) lines.push(`  per week: ${weeks.map(([w, n]) => `${w} ${n}`).join(', ')}`);
    // Examples quote archived entries: every field is stripped of control characters.
    for (const e of r.examples)
      lines.push(
        `  e.g. ${e.time_utc} ${safeText(e.teammate_email ?? e.teammate_id ?? '?')} ${safeText(e.activity_type)} — ${safeText(e.reasons.join('; '))}`,
      );
  }
  if (failureCount) lines.push('', `warning: ${safeText(describeRuleFailures(failureCount, failures[0]!))}`);
  if (options.html) {
    const charts = rules
      .map((r) =>
        barChart(
          `${r.rule} [${r.severity}] — ${r.total} alerts`,
          Object.entries(r.perWeek)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([label, value]) => ({ label, value })),
          'No alerts in this period.',
        ),
      )
      .join('\n');
    const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Rule backtest ${options.from} – ${options.to}</title><style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}svg text{font-size:12px}svg rect{fill:#cf222e}figcaption{font-weight:600}</style></head><body><h1>Rule backtest</h1><p>${options.from} – ${options.to}, ${entries} entries, rules from ${options.rules.replace(/[<>&]/g, '')}</p>${charts}</body></html>\n`;
    await fs.writeFile(options.html, html);
    lines.push('', `HTML view: ${options.html}`);
  }
  return { text: lines.join('\n'), results: rules, entries };
}

/** Adds the `rules` command group (`rules backtest`). */
export function registerRules(program: Command, setExit: (code: number) => void): void {
  const rules = program.command('rules').description('alert rules: try them on archived history before enabling them');
  rules
    .command('backtest')
    .description('run the live evaluator over archived history and show, per rule, how many alerts it would have raised each week')
    .requiredOption('--archive <dir|s3://bucket/prefix>', 'the archive')
    .requiredOption('--rules <file>', 'rules file (YAML or JSON)')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--workspace <id>', 'only this workspace (default: every workspace in the archive)')
    .option('--examples <n>', 'examples shown per rule', '3')
    .option('--html <file>', 'also write an HTML view with a chart per rule')
    .action(
      async (opts: { archive: string; rules: string; from: string; to: string; workspace?: string; examples: string; html?: string }) => {
        const result = await runBacktest({
          ...opts,
          examples: parseNumber('--examples', opts.examples, { min: 0, max: 50, integer: true }),
        });
        writeResult(`${result.text}\n`);
        setExit(EXIT.ok);
      },
    );
}
