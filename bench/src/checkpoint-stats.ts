/**
 * What a running job's checkpoints cost, task by task, from Flink's REST API (the MiniCluster's
 * `--rest-port`): which operators' state makes a checkpoint large or slow is not in the Prometheus
 * metrics, which give only the whole checkpoint's size and duration.
 */

/** Flink's statistics of a value over the retained checkpoints (REST `summary`). */
interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export interface TaskCheckpoint {
  /** The task's name: its chained operators, as the job graph names them. */
  task: string;
  /** Bytes this task's state took in the newest completed checkpoint (compressed, as written). */
  bytes: number;
  /** Its slowest subtask's synchronous and asynchronous parts, ms. */
  syncMs: number;
  asyncMs: number;
}

export interface CheckpointStats {
  /** Completed checkpoints the statistics below are over (Flink retains the last 10). */
  completed: number;
  durationMs: Spread;
  bytes: Spread;
  /** Largest first. */
  tasks: TaskCheckpoint[];
}

interface JobsOverview {
  jobs: { jid: string; name: string; state: string }[];
}
interface JobDetails {
  vertices: { id: string; name: string }[];
}
interface CheckpointingOverview {
  counts: { completed: number };
  summary: { end_to_end_duration: Spread; checkpointed_size: Spread };
  latest: { completed: { id: number } | null };
}
interface CheckpointDetails {
  tasks: Record<string, { checkpointed_size: number }>;
}
interface SubtaskDetails {
  summary?: { checkpoint_duration?: { sync?: { max: number }; async?: { max: number } } };
}

async function get<T>(port: number, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!response.ok) throw new Error(`Flink REST ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The statistics of the running job named `jobName` on the MiniCluster whose REST API is on `port`. */
/** How many checkpoints the running job `jobName` has completed so far (two small REST reads). */
export async function completedCheckpoints(port: number, jobName: string): Promise<number> {
  const { jobs } = await get<JobsOverview>(port, '/jobs/overview');
  const job = jobs.find((one) => one.name === jobName && one.state === 'RUNNING');
  if (!job) throw new Error(`no running job '${jobName}' on the Flink REST API at port ${port}`);
  return (await get<CheckpointingOverview>(port, `/jobs/${job.jid}/checkpoints`)).counts.completed;
}

export async function checkpointStats(port: number, jobName: string): Promise<CheckpointStats> {
  const { jobs } = await get<JobsOverview>(port, '/jobs/overview');
  const job = jobs.find((one) => one.name === jobName && one.state === 'RUNNING');
  if (!job) throw new Error(`no running job '${jobName}' on the Flink REST API at port ${port}`);
  const [details, overview] = await Promise.all([
    get<JobDetails>(port, `/jobs/${job.jid}`),
    get<CheckpointingOverview>(port, `/jobs/${job.jid}/checkpoints`),
  ]);
  const latest = overview.latest.completed;
  if (!latest) throw new Error(`job '${jobName}' has completed no checkpoint yet`);
  const checkpoint = await get<CheckpointDetails>(port, `/jobs/${job.jid}/checkpoints/details/${latest.id}`);
  const names = new Map(details.vertices.map((vertex) => [vertex.id, vertex.name]));
  const tasks = await Promise.all(
    Object.entries(checkpoint.tasks).map(async ([vertex, task]): Promise<TaskCheckpoint> => {
      const subtasks = await get<SubtaskDetails>(
        port,
        `/jobs/${job.jid}/checkpoints/details/${latest.id}/subtasks/${vertex}`,
      );
      const duration = subtasks.summary?.checkpoint_duration;
      return {
        task: names.get(vertex) ?? vertex,
        bytes: task.checkpointed_size,
        syncMs: duration?.sync?.max ?? Number.NaN,
        asyncMs: duration?.async?.max ?? Number.NaN,
      };
    }),
  );
  return {
    completed: overview.counts.completed,
    durationMs: overview.summary.end_to_end_duration,
    bytes: overview.summary.checkpointed_size,
    tasks: tasks.sort((a, b) => b.bytes - a.bytes),
  };
}

/** "alerts by symbol 3,120 KB (sync 2 ms, async 61 ms), …": the largest `count` tasks. */
export function describeTasks(tasks: readonly TaskCheckpoint[], count = 6): string {
  return tasks
    .slice(0, count)
    .map(
      (one) =>
        `${one.task.length > 60 ? `${one.task.slice(0, 57)}...` : one.task} ${Math.round(one.bytes / 1024).toLocaleString('en-US')} KB (sync ${one.syncMs} ms, async ${one.asyncMs} ms)`,
    )
    .join('; ');
}
