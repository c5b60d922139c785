import type { ComponentView } from './pipeline-book.js';

/**
 * The arrows of GET /api/pipeline, built from the components' own figures: producer → `ticks`
 * (ticks Kafka acknowledged), `ticks` → edge (ticks the edge applied; lag per partition), edge →
 * its clients (frames sent). A silent component's arrows carry null: nothing is known to flow.
 */
export interface PipelineLink {
  from: string;
  to: string;
  /** What flows: ticks, or WebSocket frames. */
  unit: 'ticks' | 'frames';
  /** Per second over the newest record's interval; null when either end is silent. */
  ratePerS: number | null;
  /** ticks → edge: records the edge is behind the end of each partition. */
  lagByPartition?: Record<string, number>;
  /** edge → clients: open WebSocket connections. */
  clients?: number;
}

export interface PartitionView {
  topic: string;
  partition: number;
  /** The largest lag any live edge reports for it. */
  maxLag: number;
  lagByEdge: Record<string, number>;
}

export const TICKS_NODE = 'topic:ticks';
export const clientsNode = (edgeId: string): string => `clients:${edgeId}`;

/** Sums a component's figures of one name over its parts (e.g. ticks_per_s of every producer worker). */
function total(component: ComponentView, name: string): number {
  let sum = 0;
  for (const [key, value] of Object.entries(component.figures)) {
    if (key === name || key.startsWith(`${name}:`)) sum += value;
  }
  return sum;
}

function parts(component: ComponentView, name: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [key, value] of Object.entries(component.figures)) {
    if (key.startsWith(`${name}:`)) found[key.slice(name.length + 1)] = value;
  }
  return found;
}

export function pipelineLinks(components: readonly ComponentView[]): PipelineLink[] {
  const links: PipelineLink[] = [];
  const rate = (component: ComponentView, name: string): number | null =>
    component.status === 'silent' ? null : total(component, name);
  for (const component of components) {
    if (component.kind === 'producer') {
      links.push({ from: component.id, to: TICKS_NODE, unit: 'ticks', ratePerS: rate(component, 'ticks_per_s') });
    } else if (component.kind === 'edge') {
      links.push({
        from: TICKS_NODE,
        to: component.id,
        unit: 'ticks',
        ratePerS: rate(component, 'ticks_per_s'),
        lagByPartition: parts(component, 'lag'),
      });
      links.push({
        from: component.id,
        to: clientsNode(component.id),
        unit: 'frames',
        ratePerS: rate(component, 'frames_per_s'),
        clients: total(component, 'clients'),
      });
    }
  }
  return links;
}

/** The `ticks` partitions as the live edges see them. */
export function pipelinePartitions(components: readonly ComponentView[]): PartitionView[] {
  const partitions = new Map<number, PartitionView>();
  for (const edge of components) {
    if (edge.kind !== 'edge' || edge.status === 'silent') continue;
    for (const [label, lag] of Object.entries(parts(edge, 'lag'))) {
      const partition = Number(label);
      if (!Number.isInteger(partition)) continue;
      const view = partitions.get(partition) ?? { topic: 'ticks', partition, maxLag: 0, lagByEdge: {} };
      view.lagByEdge[edge.id] = lag;
      view.maxLag = Math.max(view.maxLag, lag);
      partitions.set(partition, view);
    }
  }
  return [...partitions.values()].sort((a, b) => a.partition - b.partition);
}
