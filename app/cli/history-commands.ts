import type { Command } from 'commander';
import { appDataDir } from '../node/services/system.ts';
import type { HistoryItem, RunEntry } from '../common/contract/index.ts';
import { HistoryStore } from '../node/history-store.ts';
import { resolveRunId } from '../node/run-ref.ts';
import { formatTable } from './local-table.ts';
import { rankTimelineText } from './timeline-text.ts';

/** `cosmicai history list|show`: the same History the app shows, whichever door a run came in by. */

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

const num = (x: number | undefined, digits: number) =>
  x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '-';

/** Where a run came from, in the words History uses. */
export function runOrigin(kind: string, params: Record<string, unknown> | undefined): string {
  if (kind === 'recorded') return 'import';
  if (params && typeof params.study === 'string') return 'study';
  if (params?.via === 'cli') return 'CLI';
  return kind === 'cloud' ? 'cloud' : 'app';
}

export function historyListTable(items: HistoryItem[]): string {
  if (items.length === 0) {
    return 'History is empty: run `cosmicai local`, `cosmicai study run` or `cosmicai import FOLDER`.';
  }
  const rows = items.map((i) =>
    i.damaged
      ? [i.id, 'damaged', '', '', '', '', '', i.problem]
      : [
          i.id,
          i.status,
          i.kind,
          i.createdAt.replace('T', ' ').slice(0, 19),
          i.headline.samples !== undefined ? String(i.headline.samples) : '-',
          num(i.headline.samplesPerSec, 1),
          i.headline.batchSize !== undefined ? String(i.headline.batchSize) : '-',
          i.name,
        ],
  );
  return [
    formatTable(['id', 'status', 'kind', 'created (UTC)', 'samples', 'samples/s', 'batch', 'name'], rows, [
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      false,
    ]),
    '',
    `${items.length} run(s). Details: cosmicai history show ID (an id prefix, "latest" or a unique name also work).`,
  ].join('\n');
}

export function historyShowText(entry: RunEntry, partitions: Array<Record<string, unknown>>): string {
  const h = entry.headline;
  const lines: Array<[string, string]> = [
    ['id', entry.id],
    ['name', entry.name],
    ['kind', `${entry.kind} (from ${runOrigin(entry.kind, entry.params)})`],
    ['status', entry.status],
    ['created (UTC)', entry.createdAt],
    ['finished (UTC)', entry.finishedAt ?? '-'],
    ['model', h.model ?? '-'],
    ['data', h.data ?? '-'],
    ['batch size', h.batchSize !== undefined ? String(h.batchSize) : '-'],
    ['precision', h.precision ?? '-'],
    ['partitions', String(h.partitions ?? partitions.length)],
    ['samples', h.samples !== undefined ? String(h.samples) : '-'],
    ['samples/s', num(h.samplesPerSec, 1)],
  ];
  if (entry.error) lines.push(['error', entry.error.message + (entry.error.hint ? ` (${entry.error.hint})` : '')]);
  const w = Math.max(...lines.map(([k]) => k.length));
  const text = lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (entry.kind === 'cloud' && entry.record) text.push('', rankTimelineText(entry.record as Record<string, unknown>));
  text.push('', 'The full record (every metric of every partition): cosmicai history show ' + entry.id + ' --json');
  return text.join('\n');
}

export function register(program: Command): void {
  const history = program.command('history').description('Runs in History (app, CLI, study and imported runs alike)');
  history
    .command('list')
    .description('Every run in History, newest first')
    .option('--json', 'print one JSON array of History items')
    .action(async (f: { json?: boolean }) => {
      const items = await new HistoryStore(appDataDir()).list();
      out(f.json ? JSON.stringify(items, null, 2) : historyListTable(items));
    });
  history
    .command('show')
    .description('One run: its summary, or with --json the full stored entry (params, record, partitions)')
    .argument('<id>', 'run id, a unique prefix of it, "latest", or a unique run name')
    .option('--json', 'print {entry, partitions} as stored, the run record included')
    .action(async (ref: string, f: { json?: boolean }) => {
      const store = new HistoryStore(appDataDir());
      const { entry, partitions } = await store.get(await resolveRunId(store, ref));
      out(f.json ? JSON.stringify({ entry, partitions }, null, 2) : historyShowText(entry, partitions));
    });
}
