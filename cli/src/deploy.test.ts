import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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

/** Metric names the edge registers (edge/src/metrics.ts), with the series a histogram adds. */
function edgeMetricNames(): Set<string> {
  const names = new Set(
    [...read('edge/src/metrics.ts').matchAll(/name: '(tickstream_edge_\w+)'/g)].map(([, name]) => name ?? ''),
  );
  for (const name of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  return names;
}
const metricsIn = (text: string): string[] => [...new Set(text.match(/tickstream_edge_\w+/g) ?? [])];

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
    const variables = new Set([...read('docker-compose.yml').matchAll(/\$\{(\w+)/g)].map(([, name]) => name));
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
  const metrics = edgeMetricNames();

  it('alerts and the Grafana dashboard query only metrics the edge exports', () => {
    expect(metrics.has('tickstream_edge_connections')).toBe(true);
    const alerts = read('deploy/prometheus/alerts.yml');
    const dashboard = read('deploy/grafana/dashboards/tickstream-edges.json');
    JSON.parse(dashboard);
    parse(alerts);
    for (const name of [...metricsIn(alerts), ...metricsIn(dashboard)]) expect(metrics.has(name), name).toBe(true);
  });

  it.skipIf(spawnSync('haproxy', ['-v']).status !== 0)('has an HAProxy config HAProxy accepts', () => {
    const check = spawnSync('haproxy', ['-c', '-f', join(root, 'deploy/haproxy/haproxy.cfg')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
