/** How often the job's Prometheus text is read, and how long one read may take. */
const SCRAPE_EVERY_MS = 2000;
const SCRAPE_TIMEOUT_MS = 1500;
/** A Prometheus text answer larger than this is not read (Flink's is ~0.5 MB at parallelism 1). */
const MAX_TEXT_BYTES = 16 << 20;

/** The analytics job's own figures, from Flink's Prometheus reporter (names measured on Flink 2.3). */
export interface AnalyticsJobFigures {
  /** When these were read, ms since the epoch. */
  scrapedAtMs: number;
  /** Ticks read from Kafka per second (the sources' numRecordsInPerSecond). */
  recordsInPerSecond: number;
  /** Records written to Kafka per second (KafkaSink writers' numRecordsSend, as a rate between two reads). */
  recordsOutPerSecond: number | null;
  /** The sources' watermark lag, ms: wall clock − event-time watermark (largest over subtasks). */
  watermarkLagMs: number | null;
  /** Records behind the end of `ticks` (the Kafka source's pendingRecords). */
  pendingRecords: number | null;
  lastCheckpointDurationMs: number | null;
  lastCheckpointBytes: number | null;
  /** Since the last checkpoint completed, ms. */
  checkpointAgeMs: number | null;
  completedCheckpoints: number | null;
  failedCheckpoints: number | null;
  /** The most back-pressured task: ms per second it spent back-pressured (0-1000), and its name. */
  backPressuredMsPerSecond: number;
  backPressuredTask: string;
  /** Ticks the job counted late (its `late_ticks` counter). */
  lateTicks: number | null;
  restarts: number | null;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format: `name{label="value",…} number` lines; comments and blank lines skipped. */
export function parsePrometheusText(text: string): Map<string, Sample[]> {
  const metrics = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    for (const label of (labelText ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, '$1');
    const value =
      valueText === '+Inf'
        ? Number.POSITIVE_INFINITY
        : valueText === '-Inf'
          ? Number.NEGATIVE_INFINITY
          : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') continue;
    const samples = metrics.get(name) ?? [];
    samples.push({ labels, value });
    metrics.set(name, samples);
  }
  return metrics;
}

const JOB = 'flink_jobmanager_job_';
const TASK = 'flink_taskmanager_job_task_';
const OPERATOR = 'flink_taskmanager_job_task_operator_';

/** Reads the figures out of one scrape; `previous` (an earlier scrape) turns counters into rates. */
export function jobFigures(
  metrics: Map<string, Sample[]>,
  nowMs: number,
  previous: { atMs: number; recordsSent: number } | null,
): { figures: AnalyticsJobFigures; recordsSent: number } {
  const all = (name: string): Sample[] => metrics.get(name) ?? [];
  const sum = (samples: Sample[]): number | null =>
    samples.length === 0 ? null : samples.reduce((total, sample) => total + sample.value, 0);
  const max = (samples: Sample[]): number | null =>
    samples.length === 0 ? null : Math.max(...samples.map((sample) => sample.value));
  const one = (name: string): number | null => max(all(name));
  const sources = (name: string) => all(name).filter((sample) => sample.labels.operator_name?.startsWith('Source'));

  const recordsSent = sum(all(`${OPERATOR}numRecordsSend`)) ?? 0;
  const elapsedS = previous === null ? 0 : (nowMs - previous.atMs) / 1000;
  let backPressure: Sample | undefined;
  for (const sample of all(`${TASK}backPressuredTimeMsPerSecond`))
    if (backPressure === undefined || sample.value > backPressure.value) backPressure = sample;
  const completedAt = one(`${JOB}lastCheckpointCompletedTimestamp`);
  return {
    recordsSent,
    figures: {
      scrapedAtMs: nowMs,
      recordsInPerSecond: sum(sources(`${OPERATOR}numRecordsInPerSecond`)) ?? 0,
      recordsOutPerSecond:
        previous === null || elapsedS <= 0 ? null : Math.max(0, (recordsSent - previous.recordsSent) / elapsedS),
      watermarkLagMs: max(sources(`${OPERATOR}watermarkLag`)),
      pendingRecords: sum(sources(`${OPERATOR}pendingRecords`)),
      lastCheckpointDurationMs: one(`${JOB}lastCheckpointDuration`),
      lastCheckpointBytes: one(`${JOB}lastCheckpointSize`),
      checkpointAgeMs: completedAt === null || completedAt <= 0 ? null : Math.max(0, nowMs - completedAt),
      completedCheckpoints: one(`${JOB}numberOfCompletedCheckpoints`),
      failedCheckpoints: one(`${JOB}numberOfFailedCheckpoints`),
      backPressuredMsPerSecond: backPressure?.value ?? 0,
      backPressuredTask: backPressure?.labels.task_name?.replace(/_+/g, ' ').trim() ?? '',
      lateTicks: sum(all(`${OPERATOR}late_ticks`)),
      restarts: one(`${JOB}numRestarts`),
    },
  };
}

/**
 * Reads the analytics job's figures from its Prometheus endpoint (Flink's reporter,
 * `tickstream analytics --metrics-port`) every 2 s, for /api/analytics and the dashboard's
 * Performance view. The job exposes them; the edge only passes them on, saying when it cannot.
 */
export class AnalyticsJobMetrics {
  figures: AnalyticsJobFigures | null = null;
  /** The last figures read, kept through failed reads (a JVM catching up often answers late); see scrapedAtMs. */
  lastRead: AnalyticsJobFigures | null = null;
  /** Why the last read failed; '' after a good one. */
  problem = 'not read yet';
  private previous: { atMs: number; recordsSent: number } | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly url: string,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), SCRAPE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async scrape(): Promise<void> {
    let problem = '';
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_TEXT_BYTES) throw new Error(`${text.length} bytes, above ${MAX_TEXT_BYTES}`);
      const nowMs = Date.now();
      const { figures, recordsSent } = jobFigures(parsePrometheusText(text), nowMs, this.previous);
      if (figures.completedCheckpoints === null && figures.recordsInPerSecond === 0 && recordsSent === 0)
        throw new Error('no Flink job metrics in the answer (is the job running?)');
      this.previous = { atMs: nowMs, recordsSent };
      this.figures = figures;
      this.lastRead = figures;
    } catch (error) {
      problem = `the analytics job's metrics at ${this.url} could not be read: ${(error as Error).message}`;
      this.figures = null;
      this.previous = null;
    }
    if (problem !== this.problem && problem !== '') this.log(problem);
    this.problem = problem;
  }
}
