import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeTestCertificates } from '../../broker/src/testing/certificates.js';

// docker-compose.yml and deploy/ cannot run here (no Docker engine), so this checks what can be
// checked without one: Compose accepts the file, and every file, command, flag, environment
// variable and metric it names exists in the repo.

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'cli/bin/tickstream.js');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  container_name?: string;
  ports?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  profiles?: string[];
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
/** The Node services, built from the root Dockerfile; the analytics job has a Flink image of its own. */
const tickstreamServices = services.filter(([, service]) => service.build === '.');

function dockerCompose(): string | null {
  const found = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  return found.status === 0 ? (found.stdout.split('\n')[0] ?? '') : null;
}
const composeVersion = dockerCompose();
if (composeVersion === null) {
  // CI installs it (.ci/run); a developer machine may not have it.
  if (process.env.CI === 'true') throw new Error('docker-compose is missing in CI: apt-get install docker-compose');
  process.stderr.write('docker-compose config check skipped: docker-compose is not installed\n');
}

/** Source files of the packages that run in the image (not tests), to find what they read. */
function sourceText(): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.includes('/testing/')) files.push(path);
    }
  };
  for (const pkg of ['cli', 'edge', 'producer', 'broker', 'schemas']) walk(`${pkg}/src`);
  return files.map(read).join('\n');
}

/**
 * Metric names each tier registers (edge/, producer/ and broker/src/metrics.ts), with the series
 * a histogram adds and the Node.js process metrics prom-client's defaults add under each prefix.
 */
function tickstreamMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const tier of ['edge', 'producer', 'broker']) {
    const source = read(`${tier}/src/metrics.ts`);
    for (const [, name] of source.matchAll(/'(tickstream_(?:edge|producer|broker)_\w+)'/g)) names.add(name ?? '');
    for (const base of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      names.add(`tickstream_${tier}_${base}`);
  }
  for (const name of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  return names;
}
const metricsIn = (text: string): string[] => [
  ...new Set(text.match(/tickstream_(?:edge|producer|broker)_\w+/g) ?? []),
];
const have = (tool: string, args: string[]): boolean => spawnSync(tool, args).status === 0;

describe('docker-compose.yml', () => {
  it.skipIf(composeVersion === null)('is accepted by docker-compose config, one node and three', () => {
    const check = (args: string[]): string =>
      execFileSync('docker-compose', [...args, '-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' });
    const one = parse(check([])) as { services: Record<string, unknown> };
    expect(Object.keys(one.services)).toEqual(
      expect.arrayContaining(['kafka', 'topic-init', 'producer', 'edge', 'balancer', 'prometheus']),
    );
    const three = check(['--env-file', 'deploy/kafka-three.env']);
    expect(three).toContain('KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093');
    expect(three).toContain('KAFKA_BOOTSTRAP_SERVERS: kafka:9092,kafka-2:9092,kafka-3:9092');
  });

  it('mounts and builds only files that exist', () => {
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
    const mounts = services.flatMap(([, service]) => service.volumes ?? []).filter((volume) => volume.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(3);
    for (const mount of mounts) expect(existsSync(join(root, mount.split(':')[0] ?? '')), mount).toBe(true);
  });

  it('runs tickstream commands with flags those commands accept', () => {
    expect(tickstreamServices.map(([name]) => name).sort()).toEqual(['edge', 'producer']);
    for (const [name, service] of tickstreamServices) {
      const [command = '', ...args] = service.command ?? [];
      const help = execFileSync(process.execPath, [bin, command, '--help'], { encoding: 'utf8' });
      for (const arg of args) {
        const flag = arg.split('=')[0] ?? arg;
        expect(help, `${name}: ${flag}`).toContain(`${flag} `);
      }
    }
  });

  it('sets only environment variables tickstream reads', () => {
    const source = sourceText();
    for (const [name, service] of tickstreamServices) {
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(source, `${name}: ${variable}`).toMatch(new RegExp(`env(\\.|\\[')${variable}\\b`));
      }
    }
  });

  it('documents every variable it takes in docs/operations.md', () => {
    const operations = read('docs/operations.md');
    const files = read('docker-compose.yml') + read('deploy/compose.tls.yml');
    const variables = new Set([...files.matchAll(/\$\{(\w+)/g)].map(([, name]) => name));
    expect(variables.size).toBeGreaterThan(10);
    for (const variable of variables) expect(operations, variable).toContain(variable);
  });
});

describe('docker-compose.yml: the analytics job on Flink', () => {
  const jobManager = compose.services['analytics-jobmanager'] as ComposeService;
  const taskManager = compose.services.taskmanager as ComposeService;

  it('builds the job image from analytics/Dockerfile, and both Flink services run it', () => {
    expect(jobManager.build).toMatchObject({ context: '.', dockerfile: 'analytics/Dockerfile' });
    expect(existsSync(join(root, 'analytics/Dockerfile'))).toBe(true);
    expect(taskManager.image).toBe(jobManager.image);
    expect(read('analytics/Dockerfile')).toContain('/opt/flink/usrlib/tickstream-analytics.jar');
  });

  it('runs AnalyticsMain in application mode with flags the job accepts', () => {
    const [mode, classname, ...args] = jobManager.command ?? [];
    expect(mode).toBe('standalone-job');
    expect(classname).toBe('--job-classname=tickstream.analytics.AnalyticsMain');
    expect(existsSync(join(root, 'analytics/src/main/java/tickstream/analytics/AnalyticsMain.java'))).toBe(true);
    const accepted = new Set(
      [
        ...read('analytics/src/main/java/tickstream/analytics/AnalyticsOptions.java').matchAll(/case "([a-z-]+)" ->/g),
      ].map(([, flag]) => flag),
    );
    for (const arg of args) expect(accepted, arg).toContain(/^--([a-z-]+)=/.exec(arg)?.[1]);
    expect(args).toContain('--cluster=true');
  });

  it('lets --scale taskmanager=N add TaskManagers that find the JobManager and share its checkpoints', () => {
    expect(taskManager.container_name).toBeUndefined();
    expect(taskManager.ports).toBeUndefined();
    expect(taskManager.command).toEqual(['taskmanager']);
    for (const service of [jobManager, taskManager]) {
      expect(String(service.environment?.FLINK_PROPERTIES)).toContain('jobmanager.rpc.address: analytics-jobmanager');
      expect(service.volumes).toContain('analytics-checkpoints:/checkpoints');
    }
    expect(jobManager.command).toContain('--checkpoint-dir=/checkpoints');
  });

  it('is scraped by Prometheus on the reporter port it configures', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const analytics = prometheus.scrape_configs.find((job) => job.job_name === 'analytics');
    expect(analytics?.dns_sd_configs?.[0]).toMatchObject({
      names: ['analytics-jobmanager', 'taskmanager'],
      port: 9249,
    });
    expect(String(jobManager.environment?.FLINK_PROPERTIES)).toContain('metrics.reporter.prom.port: 9249');
  });
});

describe('Dockerfile', () => {
  it('copies every workspace into the image', () => {
    const dockerfile = read('Dockerfile');
    const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
    for (const workspace of workspaces) expect(dockerfile, workspace).toContain(`/app/${workspace}/package.json`);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).not.toMatch(/SECRET|PASSWORD|TOKEN/);
  });
});

describe('deploy/', () => {
  const metrics = tickstreamMetricNames();
  const dashboards = readdirSync(join(root, 'deploy/grafana/dashboards')).map(
    (file) => `deploy/grafana/dashboards/${file}`,
  );
  const alerts = read('deploy/prometheus/alerts.yml');
  if (process.env.CI === 'true')
    for (const [tool, args] of [
      ['promtool', ['--version']],
      ['amtool', ['--version']],
    ] as const)
      if (!have(tool, [...args]))
        throw new Error(`${tool} is missing in CI: apt-get install prometheus prometheus-alertmanager`);

  it('alerts and every Grafana dashboard query only metrics the tiers export', () => {
    for (const name of [
      'tickstream_edge_connections',
      'tickstream_producer_ticks_acked_total',
      'tickstream_broker_log_bytes',
    ])
      expect(metrics.has(name), name).toBe(true);
    expect(dashboards.map((path) => path.split('/').pop())).toEqual(
      expect.arrayContaining([
        'tickstream-edges.json',
        'tickstream-producer.json',
        'tickstream-broker.json',
        'tickstream-balancer.json',
        'tickstream-analytics.json', // its flink_ names: cli/src/analytics.kafka.test.ts, against a real scrape
      ]),
    );
    const queried = [
      ...metricsIn(alerts),
      ...dashboards.flatMap((path) => metricsIn(JSON.stringify(JSON.parse(read(path))))),
    ];
    expect(queried.length).toBeGreaterThan(20);
    for (const name of queried) expect(metrics.has(name), name).toBe(true);
  });

  it('gives every alert a severity Alertmanager routes, and the PrometheusRule the same rules', () => {
    const groups = (parse(alerts) as { groups: { rules: { alert: string; labels?: { severity?: string } }[] }[] })
      .groups;
    const rules = groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
    const routes = read('deploy/alertmanager/alertmanager.yml');
    for (const severity of ['critical', 'warning']) expect(routes).toContain(`severity = "${severity}"`);
    const operatorRule = parse(read('deploy/k8s/base/monitoring/prometheus-rule.yaml')) as { spec: unknown };
    expect(operatorRule.spec).toEqual(parse(alerts));
  });

  it.skipIf(!have('promtool', ['--version']))('has alert rules promtool accepts', () => {
    const check = spawnSync('promtool', ['check', 'rules', join(root, 'deploy/prometheus/alerts.yml')], {
      encoding: 'utf8',
    });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const config = spawnSync(
      'promtool',
      ['check', 'config', '--syntax-only', join(root, 'deploy/prometheus/prometheus.yml')],
      {
        encoding: 'utf8',
      },
    );
    // The config names /etc/prometheus/alerts.yml, its path inside the container: syntax only here.
    expect(config.status, `${config.stdout}${config.stderr}`).toBe(0);
  });

  it.skipIf(!have('amtool', ['--version']))('has an Alertmanager config amtool accepts', () => {
    const check = spawnSync('amtool', ['check-config', join(root, 'deploy/alertmanager/alertmanager.yml')], {
      encoding: 'utf8',
    });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it.skipIf(spawnSync('haproxy', ['-v']).status !== 0)('has HAProxy configs HAProxy accepts, plain and TLS', () => {
    const check = spawnSync('haproxy', ['-c', '-f', join(root, 'deploy/haproxy/haproxy.cfg')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const certificates = makeTestCertificates();
    try {
      const pem = join(certificates.dir, 'tickstream.pem');
      writeFileSync(pem, readFileSync(certificates.certFile, 'utf8') + readFileSync(certificates.keyFile, 'utf8'));
      const tls = spawnSync('haproxy', ['-c', '-f', join(root, 'deploy/haproxy/haproxy-tls.cfg')], {
        encoding: 'utf8',
        env: { ...process.env, TLS_PEM_FILE: pem },
      });
      expect(tls.status, tls.stderr).toBe(0);
    } finally {
      certificates.remove();
    }
    // The two differ only in TLS: same backend.
    const backend = (path: string) => read(path).slice(read(path).indexOf('backend edges'));
    expect(backend('deploy/haproxy/haproxy-tls.cfg')).toBe(backend('deploy/haproxy/haproxy.cfg'));
  });

  it.skipIf(composeVersion === null)('has a TLS override docker-compose accepts', () => {
    const merged = execFileSync(
      'docker-compose',
      ['-f', 'docker-compose.yml', '-f', 'deploy/compose.tls.yml', 'config'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(merged).toContain('haproxy-tls.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(merged).toContain('target: 8443');
  });
});
