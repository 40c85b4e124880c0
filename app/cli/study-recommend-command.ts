import { Command, InvalidArgumentError, Option } from 'commander';
import { appDataDir } from '../node/services/system.ts';
import { exportTable, type ExportFormat, type Table } from '../../base/table.ts';
import { loadStudy } from '../node/services/study-foreground.ts';
import { HistoryStore } from '../node/history-store.ts';
import { resolveRunId } from '../node/run-ref.ts';
import {
  recommendation,
  recommendMeasurements,
  type RecommendSelection,
  type Strategy,
} from '../node/services/study/recommend.ts';
import type { RecommendationView } from '../common/contract/index.ts';

/**
 * `cosmicai study recommend [STUDY] [--runs ID,…] [--strategy cost|speed|balanced] [--weight W] [--format …]`:
 * the Lambda memory recommendation through the same service code as the app's `study.recommend`.
 */

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function weightArg(raw: string): number {
  const w = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(w) || w < 0 || w > 1)
    throw new InvalidArgumentError(`the weight must be a number from 0 (fastest) to 1 (cheapest), got '${raw}'`);
  return w;
}

/** The picks of each group, one line each, the recommended one first. */
export function recommendationLines(v: RecommendationView): string[] {
  const lines: string[] = [];
  for (const g of v.groups) {
    const how =
      v.strategy === 'balanced' ? `balanced, w = ${v.weight}` : v.strategy === 'cost' ? 'cheapest' : 'fastest';
    lines.push(`Recommended (${how}): ${g.recommended.memoryMb} MB — ${g.label}`);
    for (const p of [g.picks.cost, g.picks.speed, g.picks.balanced]) lines.push(`  ${p.sentence}`);
    for (const n of g.notes) lines.push(`  Note: ${n}`);
  }
  for (const e of v.excluded) lines.push(`Left out ${e.id}: ${e.reason}`);
  for (const s of v.skipped) lines.push(`Skipped ${s.id}: ${s.problem}`);
  return lines;
}

export function registerStudyRecommend(study: Command): void {
  study
    .command('recommend')
    .description(
      'Lambda memory recommendation (as AWS Lambda Power Tuning): per memory size the mean cost of one execution ' +
        'and the mean rank duration; the cheapest, the fastest and a balanced pick',
    )
    .argument('[study]', 'a study id (default: every finished cloud run in History)')
    .option('--runs <ids>', 'History run ids (or unique prefixes), comma-separated, instead of a study')
    .addOption(
      new Option('--strategy <strategy>', 'which pick is the recommendation')
        .choices(['cost', 'speed', 'balanced'])
        .default('balanced'),
    )
    .option('--weight <w>', 'balanced weight: 1 = cost only, 0 = duration only (default 0.5)', weightArg)
    .addOption(new Option('--arch <arch>', 'Lambda architecture for the cost').choices(['x86_64', 'arm64']))
    .addOption(
      new Option('--format <format>', 'output format').choices(['md', 'csv', 'json', 'tex', 'latex']).default('md'),
    )
    .action(
      async (
        studyId: string | undefined,
        f: { runs?: string; strategy: Strategy; weight?: number; arch?: 'x86_64' | 'arm64'; format: string },
      ) => {
        if (studyId && f.runs) throw new Error('give a study id or --runs, not both');
        const dataDir = appDataDir();
        const store = new HistoryStore(dataDir);
        let selection: RecommendSelection = { history: 'cloud' };
        if (studyId) selection = { study: studyId };
        else if (f.runs) {
          const refs = f.runs
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
          selection = { runs: await Promise.all(refs.map((r) => resolveRunId(store, r))) };
        }
        const chosen = await recommendMeasurements(store, selection, (id) => loadStudy(dataDir, id));
        const v = await recommendation(dataDir, chosen, { strategy: f.strategy, weight: f.weight, arch: f.arch });
        if (f.format === 'json') {
          const { table, ...rest } = v;
          out(
            JSON.stringify(
              { ...rest, table: table ? (JSON.parse(exportTable(table as Table, 'json')) as unknown) : null },
              null,
              2,
            ),
          );
        } else if (v.table) {
          const format: ExportFormat = f.format === 'latex' ? 'tex' : (f.format as ExportFormat);
          // Markdown reads as a report: the picks first. CSV and LaTeX stay clean files; the picks go to stderr.
          if (format === 'md') out([...recommendationLines(v), '', exportTable(v.table as Table, format)].join('\n'));
          else {
            for (const l of recommendationLines(v)) err(l);
            out(exportTable(v.table as Table, format));
          }
        }
        if (v.groups.length === 0) {
          for (const l of recommendationLines(v)) err(l);
          err(
            v.runs === 0
              ? 'no finished cloud runs to recommend from: run the same job at two or more Lambda memory sizes first'
              : 'none of these runs is a cloud run with a known Lambda memory (reasons above)',
          );
          process.exitCode = 1;
        }
      },
    );
}
