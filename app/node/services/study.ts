import type { SweepParamsInput } from '../../../base/sweep-plan.ts';
import type {
  CostEstimateView,
  ComparisonView,
  ImportView,
  RunSelection,
  StudyResults,
} from '../../common/contract/index.ts';
import { compareHistoryRuns } from './study/compare.ts';
import { estimateSweep } from './study/estimate.ts';
import { importRecorded } from './study/import.ts';
import { recommendation, recommendMeasurements, type RecommendInput } from './study/recommend.ts';
import { readPrices, resetPrices, setPrices } from './study/prices.ts';
import { StudyQueue, type StudyQueueDeps } from './study/queue.ts';
import { studyReport, studyReportPdf } from './study/report.ts';
import { selectedMeasurements, studyResults } from './study/results.ts';
import type { CostSettings } from './study/shared.ts';

export type { CostSettings } from './study/shared.ts';
import { EXAMPLE_RESULTS_DIR } from '../example-data.ts';

/**
 * The study behind the UI, one job per module under services/study/: the queue (queue.ts), the cost estimate
 * (estimate.ts), prices (prices.ts), results (results.ts), the comparison (compare.ts), the import of recorded runs
 * (import.ts) and the report (report.ts). This class only routes the study domain of the contract to them.
 */

export interface StudyServiceDeps extends StudyQueueDeps {
  /** Saves HTML as PDF (Electron's printToPDF); absent in the browser host. */
  printPdf?: (html: string, suggestedName: string) => Promise<{ path: string | null }>;
}

export class StudyService {
  private readonly queue: StudyQueue;

  constructor(private readonly deps: StudyServiceDeps) {
    this.queue = new StudyQueue(deps);
  }

  isRunning = () => this.queue.isRunning();
  list = () => this.queue.list();
  get = (id: string) => this.queue.get(id);
  create = (input: { name?: string; params: SweepParamsInput; profile?: string }) => this.queue.create(input);
  resume = (id: string, profile?: string, retryFailed = false) => this.queue.resume(id, profile, retryFailed);
  cancel = (id: string) => this.queue.cancel(id);
  shutdown = () => this.queue.shutdown();

  estimate = (params: SweepParamsInput, cost: CostSettings = {}): Promise<CostEstimateView> =>
    estimateSweep(this.deps.dataDir, params, cost);

  async results(selection: RunSelection, cost: CostSettings = {}): Promise<StudyResults> {
    return studyResults(this.deps.dataDir, await this.measurements(selection), cost);
  }

  compare = (a: string, b: string): Promise<ComparisonView> => compareHistoryRuns(this.deps.store, a, b);

  /** The Lambda memory recommendation (services/study/recommend.ts). */
  async recommend({ selection, ...input }: RecommendInput) {
    const chosen = await recommendMeasurements(this.deps.store, selection, (id) => this.queue.load(id));
    return recommendation(this.deps.dataDir, chosen, input);
  }

  prices = () => readPrices(this.deps.dataDir);
  setPrices = (table: unknown) => setPrices(this.deps.dataDir, table);
  resetPrices = () => resetPrices(this.deps.dataDir);

  importRecorded = (source: string, profileName?: string, opts: { example?: boolean } = {}): Promise<ImportView> =>
    importRecorded(this.deps, source, profileName, opts);

  /** The bundled example results (made-up numbers), labelled as example data in History. */
  importExample = (): Promise<ImportView> => this.importRecorded(EXAMPLE_RESULTS_DIR, undefined, { example: true });

  async report(
    selection: RunSelection,
    compare?: { a: string; b: string },
    cost: CostSettings = {},
  ): Promise<{ title: string; html: string; fileName: string }> {
    const chosen = await this.measurements(selection);
    const comparison = compare ? await this.compare(compare.a, compare.b) : undefined;
    return studyReport(this.deps.dataDir, chosen, comparison, cost);
  }

  reportPdf = async (html: string, suggestedName: string) => studyReportPdf(this.deps.printPdf, html, suggestedName);

  private measurements = (selection: RunSelection) =>
    selectedMeasurements(this.deps.store, selection, (id) => this.queue.load(id));
}
