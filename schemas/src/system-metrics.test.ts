import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './protocol-error.js';
import {
  decodeSystemMetric,
  MAX_FIGURES,
  SystemMetricEncoder,
  type SystemMetricFields,
} from './system-metrics-codec.js';
import { FigureSampler, readSeries } from './system-metrics-reporter.js';

const metric: SystemMetricFields = {
  componentId: 'edge-host-1',
  kind: 'edge',
  timeUs: 1_765_000_000_000_000,
  intervalMs: 1003,
  problem: 'Kafka: connection refused',
  host: 'host',
  pid: 4242,
  figures: [
    { name: 'ticks_per_s', label: '', value: 5012.5 },
    { name: 'lag', label: '0', value: 12 },
    { name: 'lag', label: '1', value: 0 },
  ],
};

describe('SystemMetric records', () => {
  it('decode to what was encoded', () => {
    expect(decodeSystemMetric(new SystemMetricEncoder().encode(metric))).toEqual(metric);
  });

  it('carry a Recovery timeline (lost 0 and lost -1 both travel), and records without one decode without it', () => {
    const recovery = {
      fault: 'cut-link',
      target: 'edge-host-edge-2',
      injectedUs: 1_765_000_000_000_000,
      detectedUs: 1_765_000_003_300_000,
      detectedBy: '/health 503',
      recoveredUs: 0,
      recoveredBy: '',
      lost: 0,
      detail: '',
    };
    const encoder = new SystemMetricEncoder();
    const withRecovery = { ...metric, componentId: 'recovery-1', figures: [], recovery };
    expect(decodeSystemMetric(encoder.encode(withRecovery))).toEqual(withRecovery);
    const unchecked = { ...withRecovery, recovery: { ...recovery, lost: -1 } };
    expect(decodeSystemMetric(encoder.encode(unchecked)).recovery?.lost).toBe(-1);
    expect(decodeSystemMetric(encoder.encode(metric))).not.toHaveProperty('recovery');
  });

  it('refuse more than MAX_FIGURES figures on both sides', () => {
    const figures = Array.from({ length: MAX_FIGURES + 1 }, (_, i) => ({ name: 'lag', label: String(i), value: i }));
    expect(() => new SystemMetricEncoder().encode({ ...metric, figures })).toThrow(RangeError);
  });

  it('answer 20,000 mutated and truncated records with a value or a ProtocolError, nothing else', () => {
    const good = new SystemMetricEncoder().encode(metric);
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = good.slice(0, i % 3 === 0 ? random(good.length) : good.length);
      for (let flips = 1 + random(4); flips > 0 && bytes.length > 0; flips--) bytes[random(bytes.length)] = random(256);
      try {
        decodeSystemMetric(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });
});

describe('FigureSampler over a prom-client registry', () => {
  it('turns counters into rates per label, passes gauges on, filters, and skips a counter that went back', async () => {
    const registry = new Registry();
    const acked = new Counter({ name: 'acked_total', help: 'h', labelNames: ['writer'], registers: [registry] });
    const requestBytes = new Counter({ name: 'bytes_total', help: 'h', labelNames: ['api'], registers: [registry] });
    const lag = new Gauge({ name: 'lag', help: 'h', labelNames: ['partition'], registers: [registry] });
    new Histogram({ name: 'latency', help: 'h', registers: [registry] }).observe(0.2);
    const sampler = new FigureSampler([
      { metric: 'acked_total', figure: 'ticks_per_s', as: 'rate', by: 'writer' },
      { metric: 'bytes_total', figure: 'produce_bytes_per_s', as: 'rate', where: { api: 'Produce' } },
      { metric: 'lag', figure: 'lag', as: 'value', by: 'partition' },
      { metric: 'latency', figure: 'latency', as: 'value' },
    ]);
    acked.inc({ writer: '0' }, 100);
    acked.inc({ writer: '1' }, 50);
    requestBytes.inc({ api: 'Produce' }, 1000);
    requestBytes.inc({ api: 'Fetch' }, 99_999);
    lag.set({ partition: '2' }, 17);
    // First read: no rates yet (nothing to compare with), gauges already.
    expect(sampler.sample(await registry.getMetricsAsJSON(), 10_000)).toEqual([{ name: 'lag', label: '2', value: 17 }]);
    acked.inc({ writer: '0' }, 1000);
    acked.inc({ writer: '1' }, 500);
    requestBytes.inc({ api: 'Produce' }, 4000);
    requestBytes.inc({ api: 'Fetch' }, 1);
    expect(sampler.sample(await registry.getMetricsAsJSON(), 12_000)).toEqual([
      { name: 'ticks_per_s', label: '0', value: 500 },
      { name: 'ticks_per_s', label: '1', value: 250 },
      { name: 'produce_bytes_per_s', label: '', value: 2000 },
      { name: 'lag', label: '2', value: 17 },
    ]);
    acked.reset();
    acked.inc({ writer: '0' }, 5);
    const afterReset = sampler.sample(await registry.getMetricsAsJSON(), 13_000);
    expect(afterReset.filter((figure) => figure.name === 'ticks_per_s')).toEqual([]);
  });
});

describe('readSeries', () => {
  it('reads the event loop lag p99 without a /metrics scrape first (prom-client sets it in another series)', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'test_', eventLoopMonitoringPrecision: 1 });
    // Hold the event loop for ~60 ms a few times, so the delay histogram has something to say.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const until = performance.now() + 60;
      while (performance.now() < until) {}
    }
    const [p99] = await readSeries(registry, ['test_nodejs_eventloop_lag_p99_seconds']);
    expect(p99?.name).toBe('test_nodejs_eventloop_lag_p99_seconds');
    expect(p99?.values[0]?.value).toBeGreaterThan(0.03);
  });
});
