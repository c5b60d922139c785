import * as flatbuffers from 'flatbuffers';
import { ComponentKind } from './generated/tickstream/kafka/component-kind.js';
import { MetricFigure } from './generated/tickstream/kafka/metric-figure.js';
import { Recovery } from './generated/tickstream/kafka/recovery.js';
import { SystemMetric } from './generated/tickstream/kafka/system-metric.js';
import { ProtocolError } from './protocol-error.js';
import { systemMetricSpec } from './specs.js';
import { verifyRoot } from './verify.js';

// Records on `system_metrics` (fbs/system.fbs): one per component per second, keyed by component id.

export { ComponentKind };

export const SYSTEM_METRICS_TOPIC = 'system_metrics';

/** The kinds as /api/pipeline names them (ComponentKind's names, lower case). */
export const COMPONENT_KINDS = ['producer', 'edge', 'analytics', 'broker'] as const;
export type ComponentKindName = (typeof COMPONENT_KINDS)[number];

export interface MetricFigureFields {
  /** e.g. "ticks_per_s", "lag", "rss_bytes" (docs/operations.md lists them). */
  name: string;
  /** The part the figure is of ("0" for worker or partition 0, a topic name); "" for the whole. */
  label: string;
  value: number;
}

export interface SystemMetricFields {
  componentId: string;
  kind: ComponentKindName;
  timeUs: number;
  intervalMs: number;
  /** "" while healthy. */
  problem: string;
  host: string;
  pid: number;
  figures: MetricFigureFields[];
  /** Only on a recovery record (the `up` supervisor's timeline of one injected fault). */
  recovery?: RecoveryFields;
}

/** One injected fault's timeline (fbs/system.fbs, Recovery); times in µs since the epoch, 0: not yet. */
export interface RecoveryFields {
  fault: string;
  target: string;
  injectedUs: number;
  detectedUs: number;
  detectedBy: string;
  recoveredUs: number;
  recoveredBy: string;
  /** -1: not checked. */
  lost: number;
  detail: string;
}

/** Figures per record at most: a record is small, and a decoder must not build an unbounded list. */
export const MAX_FIGURES = 1024;

export class SystemMetricEncoder {
  private readonly builder = new flatbuffers.Builder(1024);

  encode(metric: SystemMetricFields): Uint8Array {
    if (metric.figures.length > MAX_FIGURES) {
      throw new RangeError(`${metric.figures.length} figures in one record; at most ${MAX_FIGURES}`);
    }
    const builder = this.builder;
    builder.clear();
    const figures = SystemMetric.createFiguresVector(
      builder,
      metric.figures.map((figure) => {
        const name = builder.createString(figure.name);
        const label = builder.createString(figure.label);
        return MetricFigure.createMetricFigure(builder, name, label, figure.value);
      }),
    );
    const componentId = builder.createString(metric.componentId);
    const problem = builder.createString(metric.problem);
    const host = builder.createString(metric.host);
    const recovery = metric.recovery === undefined ? 0 : encodeRecovery(builder, metric.recovery);
    SystemMetric.startSystemMetric(builder);
    SystemMetric.addComponentId(builder, componentId);
    SystemMetric.addKind(builder, COMPONENT_KINDS.indexOf(metric.kind));
    SystemMetric.addTimeUs(builder, BigInt(metric.timeUs));
    SystemMetric.addIntervalMs(builder, metric.intervalMs);
    SystemMetric.addProblem(builder, problem);
    SystemMetric.addHost(builder, host);
    SystemMetric.addPid(builder, metric.pid);
    SystemMetric.addFigures(builder, figures);
    if (recovery !== 0) SystemMetric.addRecovery(builder, recovery);
    builder.finish(SystemMetric.endSystemMetric(builder));
    return builder.asUint8Array().slice();
  }
}

function encodeRecovery(builder: flatbuffers.Builder, recovery: RecoveryFields): flatbuffers.Offset {
  const fault = builder.createString(recovery.fault);
  const target = builder.createString(recovery.target);
  const detectedBy = builder.createString(recovery.detectedBy);
  const recoveredBy = builder.createString(recovery.recoveredBy);
  const detail = builder.createString(recovery.detail);
  Recovery.startRecovery(builder);
  Recovery.addFault(builder, fault);
  Recovery.addTarget(builder, target);
  Recovery.addInjectedUs(builder, BigInt(recovery.injectedUs));
  Recovery.addDetectedUs(builder, BigInt(recovery.detectedUs));
  Recovery.addDetectedBy(builder, detectedBy);
  Recovery.addRecoveredUs(builder, BigInt(recovery.recoveredUs));
  Recovery.addRecoveredBy(builder, recoveredBy);
  // The schema's default is -1: force it so a checked 0 and an unchecked -1 both travel.
  builder.forceDefaults(true);
  Recovery.addLost(builder, BigInt(recovery.lost));
  builder.forceDefaults(false);
  Recovery.addDetail(builder, detail);
  return Recovery.endRecovery(builder);
}

const figureReader = new MetricFigure();

/** Decodes a `system_metrics` record value. Throws only ProtocolError. */
export function decodeSystemMetric(bytes: Uint8Array): SystemMetricFields {
  verifyRoot(bytes, systemMetricSpec);
  const metric = SystemMetric.getRootAsSystemMetric(new flatbuffers.ByteBuffer(bytes));
  const componentId = metric.componentId();
  if (!componentId) throw new ProtocolError('invalid-field', 'system metric has no component id');
  const kind = COMPONENT_KINDS[metric.kind()];
  if (kind === undefined) throw new ProtocolError('invalid-field', `unknown component kind ${metric.kind()}`);
  const count = metric.figuresLength();
  if (count > MAX_FIGURES) throw new ProtocolError('invalid-field', `${count} figures; at most ${MAX_FIGURES}`);
  const figures: MetricFigureFields[] = [];
  for (let i = 0; i < count; i++) {
    const figure = metric.figures(i, figureReader);
    const name = figure?.name();
    if (!figure || !name) throw new ProtocolError('invalid-field', `figure ${i} has no name`);
    figures.push({ name, label: figure.label() ?? '', value: figure.value() });
  }
  const recovery = metric.recovery();
  let recoveryFields: RecoveryFields | undefined;
  if (recovery !== null) {
    const fault = recovery.fault();
    if (!fault) throw new ProtocolError('invalid-field', 'recovery has no fault');
    recoveryFields = {
      fault,
      target: recovery.target() ?? '',
      injectedUs: Number(recovery.injectedUs()),
      detectedUs: Number(recovery.detectedUs()),
      detectedBy: recovery.detectedBy() ?? '',
      recoveredUs: Number(recovery.recoveredUs()),
      recoveredBy: recovery.recoveredBy() ?? '',
      lost: Number(recovery.lost()),
      detail: recovery.detail() ?? '',
    };
  }
  return {
    componentId,
    kind,
    timeUs: Number(metric.timeUs()),
    intervalMs: metric.intervalMs(),
    problem: metric.problem() ?? '',
    host: metric.host() ?? '',
    pid: metric.pid(),
    figures,
    ...(recoveryFields === undefined ? {} : { recovery: recoveryFields }),
  };
}
