import { readFileSync } from 'node:fs';

/**
 * Where a Flink job's checkpoints spend their time, from the job's own REST API (each MiniCluster
 * of the analytics JVM has one, on a port its log names). Per checkpoint, each vertex's
 * `end_to_end_duration` is the time from the trigger to that vertex's last acknowledgement: the
 * sources' figure is the trigger's way to the tasks, the fill engine's chain adds the barriers'
 * way through the exchange (and any alignment) and its sink writers' flush (the Kafka acks of
 * what the transaction holds). The checkpoint completes (and the transactions then commit) after
 * the last vertex and the JobManager's finalization (writing `_metadata`).
 *
 * Flink keeps only the last 10 checkpoints' details, so a sampler polls while the load runs:
 * checkpoints taken while fills flow carry transactions to flush, idle ones do not.
 */
export interface CheckpointBreakdown {
  /** Completed checkpoints the job counted. */
  completed: number;
  /** Flink's own summary over every completed checkpoint: trigger → last acknowledgement. */
  endToEnd: { p50: number; p99: number; max: number };
  /** Vertex name → median over the sampled checkpoints of trigger → that vertex's last ack. */
  vertexMedians: Record<string, number>;
  /** How many checkpoints the medians are over. */
  sampled: number;
  /**
   * The fill engine's task (its chain with the sink writers), medians of its slowest subtask:
   * trigger → first barrier at the task (start delay), waiting for the other inputs' barriers
   * (alignment), the synchronous part of its snapshot (the sink writers' flush of the open
   * transaction is here, before the barrier goes on) and the asynchronous part (state to files).
   */
  engineTask: { startDelay: number; alignment: number; sync: number; async: number } | null;
}

/** The fill engine task's parts of one checkpoint, its slowest subtask's, ms. */
interface EngineParts {
  startDelay: number;
  alignment: number;
  sync: number;
  async: number;
}

interface Quantiles {
  p50?: number;
  p99?: number;
  max?: number;
}

interface CheckpointStats {
  counts: { completed: number };
  summary: { end_to_end_duration: Quantiles };
  history: { id: number; status: string }[];
}

/** The REST addresses the JVM's MiniClusters logged ("Rest endpoint listening at 127.0.0.1:PORT"). */
export function restAddresses(logFile: string): string[] {
  const log = readFileSync(logFile, 'utf8');
  return [...new Set([...log.matchAll(/Rest endpoint listening at ([\d.]+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`))];
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export class CheckpointSampler {
  private base: string | null = null;
  private names = new Map<string, string>();
  private readonly seen = new Set<number>();
  private readonly perVertex = new Map<string, number[]>();
  private readonly engineParts = {
    startDelay: [] as number[],
    alignment: [] as number[],
    sync: [] as number[],
    async: [] as number[],
  };
  private lastStats: CheckpointStats | null = null;
  /** Per checkpoint id: the fill engine task's parts and each vertex's trigger → ack (slow checkpoints' rows). */
  readonly byId = new Map<number, { engine?: EngineParts; vertices: Record<string, number> }>();

  constructor(
    private readonly logFile: string,
    private readonly jobId: string,
  ) {}

  /** Reads the details of the completed checkpoints not read yet; false when no MiniCluster knows the job. */
  async sample(): Promise<boolean> {
    const base = this.base ?? (await this.findJob());
    if (base === null) return false;
    const stats = (await getJson(`${base}/checkpoints`)) as CheckpointStats;
    this.lastStats = stats;
    for (const checkpoint of stats.history) {
      if (checkpoint.status !== 'COMPLETED' || this.seen.has(checkpoint.id)) continue;
      this.seen.add(checkpoint.id);
      const details = (await getJson(`${base}/checkpoints/details/${checkpoint.id}`)) as {
        tasks: Record<string, { end_to_end_duration: number }>;
      };
      const row: { engine?: EngineParts; vertices: Record<string, number> } = { vertices: {} };
      this.byId.set(checkpoint.id, row);
      for (const [vertexId, task] of Object.entries(details.tasks)) {
        const name = this.names.get(vertexId) ?? vertexId;
        row.vertices[name] = task.end_to_end_duration;
        this.perVertex.set(name, [...(this.perVertex.get(name) ?? []), task.end_to_end_duration]);
        // A subtask answer of another shape leaves engineTask null rather than the sample unread.
        if (name.startsWith('fill engine'))
          row.engine = await this.sampleEngineTask(base, checkpoint.id, vertexId).catch(() => undefined);
      }
    }
    return true;
  }

  private async sampleEngineTask(
    base: string,
    checkpointId: number,
    vertexId: string,
  ): Promise<EngineParts | undefined> {
    const { subtasks } = (await getJson(`${base}/checkpoints/details/${checkpointId}/subtasks/${vertexId}`)) as {
      subtasks: {
        status: string;
        start_delay: number;
        alignment: { duration: number };
        checkpoint: { sync: number; async: number };
      }[];
    };
    const done = subtasks.filter((subtask) => subtask.status === 'completed');
    if (done.length === 0) return undefined;
    const slowest = (pick: (subtask: (typeof done)[number]) => number): number => Math.max(...done.map(pick));
    const parts: EngineParts = {
      startDelay: slowest((subtask) => subtask.start_delay),
      alignment: slowest((subtask) => subtask.alignment.duration),
      sync: slowest((subtask) => subtask.checkpoint.sync),
      async: slowest((subtask) => subtask.checkpoint.async),
    };
    this.engineParts.startDelay.push(parts.startDelay);
    this.engineParts.alignment.push(parts.alignment);
    this.engineParts.sync.push(parts.sync);
    this.engineParts.async.push(parts.async);
    return parts;
  }

  /** One sampled checkpoint's parts as a short line; '' when it was not sampled. */
  describe(id: number): string {
    const row = this.byId.get(id);
    if (row === undefined) return '';
    const vertices = Object.entries(row.vertices)
      .map(([name, ms]) => `${name.slice(0, 24)} ${ms}`)
      .join(', ');
    const engine = row.engine;
    return engine === undefined
      ? `acks: ${vertices}`
      : `engine task: barrier +${engine.startDelay}, alignment ${engine.alignment}, sync ${engine.sync}, async ${engine.async}; acks: ${vertices}`;
  }

  breakdown(): CheckpointBreakdown | null {
    const stats = this.lastStats;
    if (stats === null) return null;
    const summary = stats.summary.end_to_end_duration;
    return {
      completed: stats.counts.completed,
      endToEnd: { p50: summary.p50 ?? Number.NaN, p99: summary.p99 ?? Number.NaN, max: summary.max ?? Number.NaN },
      vertexMedians: Object.fromEntries([...this.perVertex].map(([name, values]) => [name, median(values)])),
      sampled: this.seen.size,
      engineTask:
        this.engineParts.sync.length === 0
          ? null
          : {
              startDelay: median(this.engineParts.startDelay),
              alignment: median(this.engineParts.alignment),
              sync: median(this.engineParts.sync),
              async: median(this.engineParts.async),
            },
    };
  }

  private async findJob(): Promise<string | null> {
    for (const address of restAddresses(this.logFile)) {
      const base = `http://${address}/jobs/${this.jobId}`;
      const job = (await getJson(base).catch(() => null)) as { vertices: { id: string; name: string }[] } | null;
      if (job === null) continue;
      this.names = new Map(job.vertices.map((vertex) => [vertex.id, vertex.name]));
      this.base = base;
      return base;
    }
    return null;
  }
}
