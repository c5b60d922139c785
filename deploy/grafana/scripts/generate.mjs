// Writes the per-tier Grafana dashboards under deploy/grafana/dashboards/ from the panel lists
// below (the edge's dashboard predates this and is kept by hand). Run after changing a panel:
//   node deploy/grafana/scripts/generate.mjs
// cli/src/deploy.test.ts checks that every metric a panel queries is one the tier exports.
import { writeFileSync } from 'node:fs';

const datasource = { type: 'prometheus', uid: 'prometheus' };

const dashboards = {
  'tickstream-producer': {
    title: 'tickstream producer',
    panels: [
      [
        'Ticks acknowledged /s per writer',
        'sum by (instance, writer) (rate(tickstream_producer_ticks_acked_total[1m]))',
        'short',
        '{{instance}} {{writer}}',
      ],
      ['Target vs acknowledged ticks /s', 'sum(tickstream_producer_target_ticks_per_second)', 'short', 'target'],
      ['Behind target (ticks)', 'sum by (instance) (tickstream_producer_behind_target_ticks)', 'short', '{{instance}}'],
      [
        'Produce latency p50 / p99',
        'histogram_quantile(0.99, sum by (le) (rate(tickstream_producer_produce_latency_seconds_bucket[1m])))',
        's',
        'p99',
      ],
      [
        'Buffered ticks',
        'sum by (instance, writer) (tickstream_producer_buffered_ticks)',
        'short',
        '{{instance}} {{writer}}',
      ],
      [
        'Dropped ticks /s',
        'sum by (instance) (rate(tickstream_producer_dropped_ticks_total[1m]))',
        'short',
        '{{instance}}',
      ],
      [
        'Produce errors /s',
        'sum by (instance, writer) (rate(tickstream_producer_errors_total[1m]))',
        'short',
        '{{instance}} {{writer}}',
      ],
      ['Kafka connected (writers)', 'sum by (instance) (tickstream_producer_kafka_up)', 'short', '{{instance}}'],
      [
        'MB/s acknowledged',
        'sum by (instance) (rate(tickstream_producer_bytes_acked_total[1m])) / 1e6',
        'short',
        '{{instance}}',
      ],
    ],
    extra: {
      // Second query on two panels: the acknowledged rate beside the target, p50 beside p99.
      'Target vs acknowledged ticks /s': ['sum(rate(tickstream_producer_ticks_acked_total[1m]))', 'acknowledged'],
      'Produce latency p50 / p99': [
        'histogram_quantile(0.5, sum by (le) (rate(tickstream_producer_produce_latency_seconds_bucket[1m])))',
        'p50',
      ],
    },
  },
  'tickstream-broker': {
    title: 'tickstream embedded broker',
    panels: [
      [
        'Produce MB/s (request bytes)',
        'sum by (instance) (rate(tickstream_broker_request_bytes_total{api="Produce"}[1m])) / 1e6',
        'short',
        '{{instance}}',
      ],
      [
        'Fetch MB/s (response bytes)',
        'sum by (instance) (rate(tickstream_broker_response_bytes_total{api="Fetch"}[1m])) / 1e6',
        'short',
        '{{instance}}',
      ],
      [
        'Records written /s per topic',
        'sum by (topic) (rate(tickstream_broker_log_end_offset[1m]))',
        'short',
        '{{topic}}',
      ],
      ['Requests /s per API', 'sum by (api) (rate(tickstream_broker_request_seconds_count[1m]))', 'short', '{{api}}'],
      [
        'Request latency p99 per API',
        'histogram_quantile(0.99, sum by (api, le) (rate(tickstream_broker_request_seconds_bucket[1m])))',
        's',
        '{{api}}',
      ],
      ['Log size per topic', 'sum by (topic) (tickstream_broker_log_bytes)', 'bytes', '{{topic}}'],
      ['Connections', 'sum by (instance) (tickstream_broker_connections)', 'short', '{{instance}}'],
      [
        'Event loop lag p99',
        'max by (instance) (tickstream_broker_nodejs_eventloop_lag_p99_seconds)',
        's',
        '{{instance}}',
      ],
      [
        'Resident memory',
        'max by (instance) (tickstream_broker_process_resident_memory_bytes)',
        'bytes',
        '{{instance}}',
      ],
    ],
  },
  'tickstream-balancer': {
    title: 'tickstream balancer (HAProxy)',
    panels: [
      ['Edges up (ready)', 'sum(haproxy_backend_active_servers{proxy="edges"})', 'short', 'active'],
      [
        'Connections per edge',
        'sum by (server) (haproxy_server_current_sessions{proxy="edges"})',
        'short',
        '{{server}}',
      ],
      [
        'New connections /s',
        'sum(rate(haproxy_frontend_connections_total{proxy="tickstream"}[1m]))',
        'short',
        'frontend',
      ],
      [
        'Upgrades retried on another edge /s',
        'sum(rate(haproxy_backend_retry_warnings_total{proxy="edges"}[1m]))',
        'short',
        'retries',
      ],
      [
        '5xx answers /s',
        'sum(rate(haproxy_frontend_http_responses_total{proxy="tickstream",code="5xx"}[1m]))',
        'short',
        '5xx',
      ],
      ['MB/s to clients', 'sum(rate(haproxy_frontend_bytes_out_total{proxy="tickstream"}[1m])) / 1e6', 'short', 'out'],
    ],
  },
  // Flink's Prometheus reporter (names as Flink 2.3 exports them; cli/src/analytics.kafka.test.ts
  // finds every flink_ name of this dashboard in a real scrape of the job).
  'tickstream-analytics': {
    title: 'tickstream analytics job (Flink)',
    panels: [
      [
        'Ticks read /s',
        'sum by (job_name) (flink_taskmanager_job_task_operator_numRecordsInPerSecond{operator_name=~"Source.*"})',
        'short',
        '{{job_name}}',
      ],
      [
        'Records written to Kafka /s',
        'sum by (job_name) (rate(flink_taskmanager_job_task_operator_numRecordsSend[1m]))',
        'short',
        '{{job_name}}',
      ],
      [
        'Watermark lag',
        'max by (job_name) (flink_taskmanager_job_task_operator_watermarkLag{operator_name=~"Source.*"}) / 1000',
        's',
        '{{job_name}}',
      ],
      [
        'Records behind the end of ticks',
        'sum by (job_name) (flink_taskmanager_job_task_operator_pendingRecords)',
        'short',
        '{{job_name}}',
      ],
      [
        'Since the last checkpoint',
        'time() - max by (job_name) (flink_jobmanager_job_lastCheckpointCompletedTimestamp) / 1000',
        's',
        '{{job_name}}',
      ],
      [
        'Checkpoint duration',
        'max by (job_name) (flink_jobmanager_job_lastCheckpointDuration) / 1000',
        's',
        '{{job_name}}',
      ],
      ['Checkpoint size', 'max by (job_name) (flink_jobmanager_job_lastCheckpointSize)', 'bytes', '{{job_name}}'],
      [
        'Failed checkpoints and restarts',
        'max by (job_name) (flink_jobmanager_job_numberOfFailedCheckpoints)',
        'short',
        '{{job_name}} failed checkpoints',
      ],
      [
        'Back-pressured ms/s (most back-pressured task)',
        'max by (job_name) (flink_taskmanager_job_task_backPressuredTimeMsPerSecond)',
        'short',
        '{{job_name}}',
      ],
      [
        'Late ticks /s (counted, not dropped silently)',
        'sum by (job_name) (rate(flink_taskmanager_job_task_operator_late_ticks[1m]))',
        'short',
        '{{job_name}}',
      ],
    ],
    extra: {
      'Failed checkpoints and restarts': [
        'max by (job_name) (flink_jobmanager_job_numRestarts)',
        '{{job_name}} restarts',
      ],
    },
  },
};

for (const [uid, { title, panels, extra = {} }] of Object.entries(dashboards)) {
  const dashboard = {
    uid,
    title,
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-15m', to: 'now' },
    refresh: '5s',
    tags: ['tickstream'],
    panels: panels.map(([panelTitle, expr, unit, legend], index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panelTitle,
      datasource,
      gridPos: { h: 8, w: 8, x: (index % 3) * 8, y: Math.floor(index / 3) * 8 },
      fieldConfig: { defaults: { unit }, overrides: [] },
      targets: [
        { refId: 'A', expr, legendFormat: legend, datasource },
        ...(extra[panelTitle]
          ? [{ refId: 'B', expr: extra[panelTitle][0], legendFormat: extra[panelTitle][1], datasource }]
          : []),
      ],
    })),
  };
  writeFileSync(new URL(`../dashboards/${uid}.json`, import.meta.url), `${JSON.stringify(dashboard, null, 2)}\n`);
}
