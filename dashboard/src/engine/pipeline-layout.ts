/**
 * The Pipeline tab's diagram, laid out from GET /api/pipeline (docs/api.md): columns in the order
 * data flows — producer workers → the `ticks` partitions → the analytics job → edges → clients —
 * each node coloured by its component's status, each arrow labelled with what the component
 * reported flowing. Plain TypeScript: the Svelte tab only draws what this returns.
 */
import type { RecoveryRecord } from './recovery-timeline.js';

export type ComponentStatus = 'ok' | 'degraded' | 'silent';

export interface PipelineComponent {
  id: string;
  kind: 'producer' | 'edge' | 'analytics' | 'broker';
  status: ComponentStatus;
  detail: string;
  lastSeen: string;
  silentSince?: string;
  figures: Record<string, number>;
}

export interface PipelineAnswer {
  components: PipelineComponent[];
  links: { from: string; to: string; unit: string; ratePerS: number | null; clients?: number }[];
  partitions: { topic: string; partition: number; maxLag: number }[];
  /** Injected faults' timelines (recovery-timeline.ts); absent from an edge older than them. */
  recoveries?: RecoveryRecord[];
}

export interface DiagramNode {
  key: string;
  /** The component whose sparklines a click opens; null for a partition or the clients. */
  componentId: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  subtitle: string;
  /** ok, degraded or silent; 'lagging' for a partition behind; 'missing' for a tier that does not report. */
  health: ComponentStatus | 'lagging' | 'missing';
}

export interface DiagramArrow {
  key: string;
  from: { x: number; y: number };
  to: { x: number; y: number };
  label: string;
  /** Where the label sits: in the gap before the arrow's head, so an arrow across a column stays readable. */
  labelAt: { x: number; y: number };
  /** Nothing known to flow (a silent end). */
  idle: boolean;
}

export interface Diagram {
  width: number;
  height: number;
  nodes: DiagramNode[];
  arrows: DiagramArrow[];
  columns: { x: number; title: string }[];
}

const COLUMN_WIDTH = 250;
const NODE_WIDTH = 160;
const GAP = COLUMN_WIDTH - NODE_WIDTH;
const NODE_HEIGHT = 44;
const ROW = 58;
const TOP = 36;
/** A partition this many records behind (at any edge) shows as lagging. */
export const LAG_WARNING = 1000;

const rate = (value: number | null, unit: string): string =>
  value === null ? `— ${unit}/s` : `${Math.round(value).toLocaleString('en-US')} ${unit}/s`;

function partsOf(component: PipelineComponent, name: string): [string, number][] {
  return Object.entries(component.figures)
    .filter(([key]) => key.startsWith(`${name}:`))
    .map(([key, value]) => [key.slice(name.length + 1), value] as [string, number])
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

function sum(component: PipelineComponent, name: string): number {
  return Object.entries(component.figures)
    .filter(([key]) => key === name || key.startsWith(`${name}:`))
    .reduce((total, [, value]) => total + value, 0);
}

export function layoutPipeline(answer: PipelineAnswer): Diagram {
  const byKind = (kind: PipelineComponent['kind']) => answer.components.filter((c) => c.kind === kind);
  const nodes: DiagramNode[] = [];
  const arrows: DiagramArrow[] = [];
  const columnX = (column: number) => 16 + column * COLUMN_WIDTH;
  const place = (column: number, row: number) => ({ x: columnX(column), y: TOP + row * ROW });
  const node = (n: Omit<DiagramNode, 'width' | 'height'>): DiagramNode => {
    const made = { ...n, width: NODE_WIDTH, height: NODE_HEIGHT };
    nodes.push(made);
    return made;
  };
  const right = (n: DiagramNode) => ({ x: n.x + n.width, y: n.y + n.height / 2 });
  const arrow = (a: Omit<DiagramArrow, 'labelAt'>): void => {
    const x = a.to.x - GAP / 2;
    const share = a.to.x === a.from.x ? 0 : (x - a.from.x) / (a.to.x - a.from.x);
    arrows.push({ ...a, labelAt: { x, y: a.from.y + (a.to.y - a.from.y) * share - 5 } });
  };
  const left = (n: DiagramNode) => ({ x: n.x, y: n.y + n.height / 2 });

  // Column 0: each producer's workers (writer "main" only when it wrote anything itself).
  let row = 0;
  const workers: { node: DiagramNode; ratePerS: number | null; silent: boolean }[] = [];
  for (const producer of byKind('producer')) {
    const silent = producer.status === 'silent';
    const parts = partsOf(producer, 'ticks_per_s').filter(([writer, value]) => writer !== 'main' || value > 0);
    for (const [writer, value] of parts.length > 0 ? parts : [['', sum(producer, 'ticks_per_s')] as [string, number]]) {
      const made = node({
        key: `${producer.id}#${writer}`,
        componentId: producer.id,
        ...place(0, row++),
        title: writer === '' ? producer.id : `worker ${writer}`,
        subtitle: producer.status === 'ok' ? shortId(producer.id) : statusLine(producer),
        health: producer.status,
      });
      workers.push({ node: made, ratePerS: silent ? null : value, silent });
    }
  }
  // Column 1: the ticks partitions (their lag as the edges see it), or the topic as one node.
  const partitions = answer.partitions.length > 0 ? answer.partitions : null;
  const brokers = byKind('broker');
  const topicNodes = (partitions ?? [null]).map((partition, index) =>
    node({
      key: `ticks/${partition?.partition ?? '*'}`,
      componentId: brokers[0]?.id ?? null,
      ...place(1, index),
      title: partition === null ? 'ticks' : `ticks / ${partition.partition}`,
      subtitle: partition === null ? 'no edge reports lag' : `lag ${partition.maxLag.toLocaleString('en-US')}`,
      health: partition !== null && partition.maxLag >= LAG_WARNING ? 'lagging' : 'ok',
    }),
  );
  const topicMiddle = topicNodes[Math.floor(topicNodes.length / 2)] as DiagramNode;
  for (const worker of workers) {
    arrow({
      key: `${worker.node.key}->ticks`,
      from: right(worker.node),
      to: left(topicMiddle),
      label: rate(worker.ratePerS, 'ticks'),
      idle: worker.silent,
    });
  }
  // Column 2: the analytics job, or a placeholder saying it does not report.
  const jobs = byKind('analytics');
  const jobNodes =
    jobs.length > 0
      ? jobs.map((job, index) =>
          node({
            key: job.id,
            componentId: job.id,
            ...place(2, index),
            title: 'analytics',
            subtitle: statusLine(job),
            health: job.status,
          }),
        )
      : [
          node({
            key: 'analytics',
            componentId: null,
            ...place(2, 0),
            title: 'analytics',
            subtitle: 'not reporting',
            health: 'missing',
          }),
        ];
  for (const job of jobNodes) {
    const component = jobs.find((c) => c.id === job.componentId);
    arrow({
      key: `ticks->${job.key}`,
      from: right(topicMiddle),
      to: left(job),
      label: component ? rate(component.status === 'silent' ? null : sum(component, 'records_per_s'), 'ticks') : '',
      idle: component === undefined || component.status === 'silent',
    });
  }
  // Columns 3 and 4: the edges, fed from the topic, and their clients.
  byKind('edge').forEach((edge, index) => {
    const silent = edge.status === 'silent';
    const made = node({
      key: edge.id,
      componentId: edge.id,
      ...place(3, index),
      title: shortId(edge.id),
      subtitle: edge.status === 'ok' ? `lag ${sum(edge, 'lag').toLocaleString('en-US')}` : statusLine(edge),
      health: edge.status,
    });
    arrow({
      key: `ticks->${edge.id}`,
      from: right(topicMiddle),
      to: left(made),
      label: rate(silent ? null : sum(edge, 'ticks_per_s'), 'ticks'),
      idle: silent,
    });
    const clients = node({
      key: `clients:${edge.id}`,
      componentId: null,
      ...place(4, index),
      title: `${Math.round(sum(edge, 'clients'))} client${Math.round(sum(edge, 'clients')) === 1 ? '' : 's'}`,
      subtitle: silent ? 'unknown' : `${(sum(edge, 'bytes_per_s') / 1e3).toFixed(1)} kB/s`,
      health: silent ? 'silent' : 'ok',
    });
    arrow({
      key: `${edge.id}->clients`,
      from: right(made),
      to: left(clients),
      label: rate(silent ? null : sum(edge, 'frames_per_s'), 'frames'),
      idle: silent,
    });
  });
  const rows = Math.max(1, ...[0, 1, 2, 3, 4].map((column) => nodes.filter((n) => n.x === columnX(column)).length));
  return {
    width: columnX(5),
    height: TOP + rows * ROW,
    nodes,
    arrows,
    columns: [
      { x: columnX(0), title: 'producer workers' },
      { x: columnX(1), title: brokers.length > 0 ? `ticks on ${shortId(brokers[0]?.id ?? '')}` : 'ticks partitions' },
      { x: columnX(2), title: 'analytics job' },
      { x: columnX(3), title: 'edges' },
      { x: columnX(4), title: 'clients' },
    ],
  };
}

/** What a node says under its title when it is not simply ok. */
export function statusLine(component: PipelineComponent): string {
  if (component.status === 'silent')
    return `silent since ${new Date(component.silentSince ?? component.lastSeen).toLocaleTimeString('en-GB')}`;
  return component.detail || component.status;
}

/** Ids are long (host and pid): the diagram shows their first 20 characters, the detail panel all. */
export function shortId(id: string): string {
  return id.length > 20 ? `${id.slice(0, 19)}…` : id;
}
