import { type AlertTriggerFields, ServerFrameEncoder } from '@tickstream/schemas';
import { AlertBook } from '../../../edge/src/alert-book.js';

// Where a trigger's time goes between its tick and the browser (issue 20: p99 ≤ 250 ms). All
// parts run on one machine, so every stamp is the same wall clock (Date.now, currentTimeMillis).

/** The wall-clock ms at which one trigger passed each point; undefined where it was not seen. */
export interface TriggerTimes {
  /** The firing tick's exchange time: when the writer stamped it, just before sending it. */
  tick: number;
  /** Kafka acknowledged the tick to its writer. */
  tickAcked?: number | undefined;
  /** The job read the tick (its `read-ms` header). */
  jobRead?: number | undefined;
  /** The rule fired (`fired-ms`). */
  fired?: number | undefined;
  /** The job's Kafka sink handed the record to its producer (`sent-ms`). */
  sinkSent?: number | undefined;
  /** The edge's reader of `alert_events` handed it to the edge's AlertBook. */
  edgeRead?: number | undefined;
  /** The edge encoded the AlertTriggered frame, sent in the same turn of its event loop. */
  edgeSent?: number | undefined;
  /** The WebSocket client got the frame. */
  client?: number | undefined;
}

const STAGES: readonly { name: string; from: keyof TriggerTimes; to: keyof TriggerTimes }[] = [
  { name: 'tick → Kafka ack', from: 'tick', to: 'tickAcked' },
  { name: 'ack → job read', from: 'tickAcked', to: 'jobRead' },
  { name: 'read → fired', from: 'jobRead', to: 'fired' },
  { name: 'fired → sink', from: 'fired', to: 'sinkSent' },
  { name: 'sink → edge read', from: 'sinkSent', to: 'edgeRead' },
  { name: 'edge read → sent', from: 'edgeRead', to: 'edgeSent' },
  { name: 'sent → client', from: 'edgeSent', to: 'client' },
  { name: 'tick → client', from: 'tick', to: 'client' },
];

/**
 * Stamps, by trigger id, when the edge's reader handed each trigger to its AlertBook and when the
 * edge encoded its frame: each real method is called as before, with the time noted first. For an
 * edge running in this process; `restore` puts the methods back.
 */
export function stampEdge(): { read: Map<string, number>; sent: Map<string, number>; restore(): void } {
  const read = new Map<string, number>();
  const sent = new Map<string, number>();
  const applyTrigger = AlertBook.prototype.applyTrigger;
  const alertTriggered = ServerFrameEncoder.prototype.alertTriggered;
  AlertBook.prototype.applyTrigger = function (this: AlertBook, trigger: AlertTriggerFields): boolean {
    if (!read.has(trigger.id)) read.set(trigger.id, Date.now());
    return applyTrigger.call(this, trigger);
  };
  ServerFrameEncoder.prototype.alertTriggered = function (
    this: ServerFrameEncoder,
    epoch: number,
    trigger: AlertTriggerFields,
  ): Uint8Array {
    if (!sent.has(trigger.id)) sent.set(trigger.id, Date.now());
    return alertTriggered.call(this, epoch, trigger);
  };
  return {
    read,
    sent,
    restore: () => {
      AlertBook.prototype.applyTrigger = applyTrigger;
      ServerFrameEncoder.prototype.alertTriggered = alertTriggered;
    },
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Per stage: p50, p99 and max over the triggers; then the slowest triggers, stage by stage. */
export function describeStages(triggers: readonly { id: string; times: TriggerTimes }[], slowest = 3): string {
  const span = (times: TriggerTimes, from: keyof TriggerTimes, to: keyof TriggerTimes): number => {
    const start = times[from];
    const end = times[to];
    return start === undefined || end === undefined ? Number.NaN : end - start;
  };
  const lines = STAGES.map(({ name, from, to }) => {
    const spans = triggers
      .map(({ times }) => span(times, from, to))
      .filter((value) => !Number.isNaN(value))
      .sort((a, b) => a - b);
    return `  ${name.padEnd(18)} n ${String(spans.length).padStart(3)}  p50 ${quantile(spans, 0.5)}  p99 ${quantile(spans, 0.99)}  max ${spans.at(-1)} ms`;
  });
  const byTotal = [...triggers].sort(
    (a, b) => span(b.times, 'tick', 'client') - span(a.times, 'tick', 'client') || a.id.localeCompare(b.id),
  );
  const describe = (label: string, { id, times }: { id: string; times: TriggerTimes }): string =>
    `  ${label}: ${id}: ${STAGES.map(({ name, from, to }) => `${name} ${span(times, from, to)}`).join(', ')}`;
  // The first trigger after the job started pays whatever is cold (the producer's metadata of the topic).
  const first = [...triggers].sort((a, b) => a.times.tick - b.times.tick || a.id.localeCompare(b.id))[0];
  if (first !== undefined) lines.push(describe('first', first));
  for (const trigger of byTotal.slice(0, slowest)) lines.push(describe('slow', trigger));
  return lines.join('\n');
}
