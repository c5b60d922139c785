import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// deploy/k8s, validated offline (no cluster): every overlay builds with `kubectl kustomize`, and
// every object it yields passes deploy/k8s/validate (a strict decode into the Kubernetes API's
// own Go types, plus selector, probe-port, non-root and read-only-root checks); then what the
// schema cannot know: Kafka's quorum matches its replicas, every tickstream command line is one
// the CLI accepts, probes and the HPA's metric are ones the edge serves, the analytics job's Flink
// pods run what docker-compose.yml's analytics services run.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'cli/bin/tickstream.js');
const k8s = join(root, 'deploy/k8s');
const have = (tool: string, args: string[]): boolean => spawnSync(tool, args).status === 0;
const tools = have('kubectl', ['version', '--client']) && have('go', ['version']);
if (!tools) {
  if (process.env.CI === 'true')
    throw new Error('kubectl and go are needed in CI: apt-get install kubectl; Go on PATH');
  process.stderr.write('k8s manifest checks skipped: kubectl or go missing\n');
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
}
interface PodTemplate {
  template: { spec: { containers: Container[] } };
  replicas?: number;
}
interface FlinkPod {
  replicas?: number;
  strategy?: { type: string };
  template: {
    spec: {
      containers: (Container & {
        envFrom?: { configMapRef?: { name: string } }[];
        ports?: { name: string; containerPort: number }[];
        volumeMounts?: { name: string; mountPath: string }[];
        resources?: { limits?: { memory?: string } };
        readinessProbe?: { httpGet?: { path: string; port: string } };
      })[];
      volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    };
  };
}
interface NetworkPolicyRule {
  from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }[];
  ports?: { port: number; endPort?: number }[];
}

// docker-compose.yml with every ${VAR:-default} at its default: what `docker compose up` runs.
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1'), {
  merge: true,
}) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }> };
/** `key: value` lines, as Flink's image reads FLINK_PROPERTIES. */
const flinkProperties = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
  );
const mebibytes = (quantity: string): number => {
  const [, number = '0', unit = ''] = /^(\d+)(\w*)$/.exec(quantity) ?? [];
  return Number(number) * ({ Gi: 1024, g: 1024, Mi: 1, m: 1 }[unit] ?? Number.NaN);
};

const overlays = readdirSync(join(k8s, 'overlays'));
const build = (dir: string): string => execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });

describe.skipIf(!tools)('deploy/k8s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-k8s-'));
  const validator = join(dir, 'validate');
  const validate = (manifests: string) =>
    spawnSync(validator, [], { input: manifests, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

  beforeAll(() => {
    // Modules from the Go proxy on first use, then the build cache: minutes cold, seconds warm.
    execFileSync('go', ['build', '-buildvcs=false', '-o', validator, '.'], {
      cwd: join(k8s, 'validate'),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }, 900_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has a dev and a prod overlay', () => {
    expect(overlays.sort()).toEqual(['dev', 'prod']);
  });

  for (const overlay of overlays) {
    describe(`overlay ${overlay}`, () => {
      let manifests = '';
      let objects: K8sObject[] = [];
      const find = (kind: string, name: string): K8sObject => {
        const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
        if (!found) throw new Error(`no ${kind} ${name} in overlay ${overlay}`);
        return found;
      };
      const containers = (kind: string, name: string): Container[] =>
        (find(kind, name).spec as unknown as PodTemplate).template.spec.containers;

      beforeAll(() => {
        manifests = build(join(k8s, 'overlays', overlay));
        objects = parseAllDocuments(manifests).map((document) => document.toJSON() as K8sObject);
      });

      it('passes the strict validation, object by object', () => {
        const result = validate(manifests);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain(`${objects.length} objects, 0 problems`);
        const kinds = new Set(objects.map((object) => object.kind));
        for (const kind of [
          'Deployment',
          'StatefulSet',
          'Service',
          'HorizontalPodAutoscaler',
          'PodDisruptionBudget',
          'PersistentVolumeClaim',
        ].concat(['Ingress', 'NetworkPolicy', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'Namespace']))
          expect(kinds, kind).toContain(kind);
      });

      it('runs Kafka with a quorum of its own replica count', () => {
        const kafka = find('StatefulSet', 'kafka').spec as unknown as PodTemplate;
        const env = new Map((kafka.template.spec.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
        const replicas = kafka.replicas ?? 1;
        expect(Number(env.get('KAFKA_REPLICAS'))).toBe(replicas);
        expect(Number(env.get('KAFKA_REPLICATION'))).toBeLessThanOrEqual(replicas);
        expect(Number(env.get('KAFKA_MIN_INSYNC'))).toBeLessThanOrEqual(Number(env.get('KAFKA_REPLICATION')));
      });

      it('runs tickstream commands with flags those commands accept, probes on /livez and /readyz', () => {
        for (const [kind, name] of [
          ['Deployment', 'edge'],
          ['Deployment', 'producer'],
        ] as const) {
          for (const container of containers(kind, name)) {
            const [command = '', ...args] = container.args ?? [];
            const help = execFileSync(process.execPath, [bin, command, '--help'], { encoding: 'utf8' });
            for (const arg of args) expect(help, `${name}: ${arg}`).toContain(`${arg.split('=')[0]} `);
          }
        }
        const [edge] = containers('Deployment', 'edge');
        expect(edge?.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect(edge?.livenessProbe?.httpGet?.path).toBe('/livez');
      });

      it('scales edges on CPU and on the connections metric the edge exports and prometheus-adapter serves', () => {
        const hpa = find('HorizontalPodAutoscaler', 'edge').spec as {
          scaleTargetRef: { kind: string; name: string };
          metrics: { type: string; pods?: { metric: { name: string } }; resource?: { name: string } }[];
        };
        expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'edge' });
        expect(hpa.metrics.find((metric) => metric.type === 'Resource')?.resource?.name).toBe('cpu');
        const custom = hpa.metrics.find((metric) => metric.type === 'Pods')?.pods?.metric.name;
        expect(custom).toBe('tickstream_edge_connections');
        expect(readFileSync(join(root, 'edge/src/metrics.ts'), 'utf8')).toContain(`name: '${custom}'`);
        const adapter = parse(
          (find('ConfigMap', 'prometheus-adapter-tickstream') as unknown as { data: Record<string, string> }).data[
            'config.yaml'
          ] ?? '',
        ) as { rules: { name: { as: string } }[] };
        expect(adapter.rules.map((rule) => rule.name.as)).toContain(custom);
      });

      it('gives every up{job=…} an alert names a ServiceMonitor whose targets carry that job label', () => {
        // The Prometheus Operator's rule: `job` is the value of the ServiceMonitor's jobLabel on
        // the Service it selects, else that Service's name.
        const services = objects.filter((object) => object.kind === 'Service') as unknown as {
          metadata: { name: string; labels?: Record<string, string> };
        }[];
        const scraped = new Set<string>();
        for (const monitor of objects.filter((object) => object.kind === 'ServiceMonitor')) {
          const spec = monitor.spec as { jobLabel?: string; selector: { matchLabels: Record<string, string> } };
          for (const service of services) {
            const labels = service.metadata.labels ?? {};
            if (!Object.entries(spec.selector.matchLabels).every(([key, value]) => labels[key] === value)) continue;
            scraped.add((spec.jobLabel && labels[spec.jobLabel]) || service.metadata.name);
          }
        }
        const rules = JSON.stringify(find('PrometheusRule', 'tickstream').spec);
        const jobs = new Set([...rules.matchAll(/up\{job=\\"(\w+)\\"\}/g)].map((match) => match[1] ?? ''));
        expect(jobs).toContain('producer');
        // The embedded broker's alert: Kubernetes runs Apache Kafka, there is no broker job to scrape.
        jobs.delete('broker');
        for (const job of jobs) expect([...scraped], `up{job="${job}"}`).toContain(job);
      });

      describe('the analytics job: a Flink JobManager and TaskManagers as docker-compose.yml runs them', () => {
        const flink = () => {
          const jobManager = find('Deployment', 'analytics-jobmanager').spec as unknown as FlinkPod;
          const taskManager = find('Deployment', 'analytics-taskmanager').spec as unknown as FlinkPod;
          const configMap = find('ConfigMap', 'analytics-flink') as unknown as { data: Record<string, string> };
          return {
            jobManager,
            taskManager,
            jm: jobManager.template.spec.containers[0],
            tm: taskManager.template.spec.containers[0],
            properties: flinkProperties(configMap.data.FLINK_PROPERTIES ?? ''),
          };
        };

        it('runs the image, command and Flink properties of compose, with the brokers of Kafka here', () => {
          const { jm, tm, properties } = flink();
          const composeJobManager = compose.services['analytics-jobmanager'];
          const composeTaskManager = compose.services.taskmanager;
          const imageName = (image = '') => image.split(':')[0];
          expect(imageName(jm?.image)).toBe(imageName(composeJobManager?.image));
          expect(imageName(tm?.image)).toBe(imageName(composeJobManager?.image));
          expect(imageName(jm?.image)).toBe('tickstream-analytics');
          // The same job flags, except that Kafka is the kafka-bootstrap Service.
          const brokers = '--brokers=kafka-bootstrap:9092';
          expect(jm?.args).toEqual(
            composeJobManager?.command?.map((arg) => (arg.startsWith('--brokers=') ? brokers : arg)),
          );
          const bootstrap = find('Service', 'kafka-bootstrap').spec as { ports: { port: number }[] };
          expect(bootstrap.ports.map((port) => port.port)).toContain(9092);
          expect(tm?.args).toEqual(composeTaskManager?.command);
          // Compose's FLINK_PROPERTIES, every one, for both sides.
          for (const container of [jm, tm])
            expect(container?.envFrom?.map((source) => source.configMapRef?.name)).toContain('analytics-flink');
          const composed = flinkProperties(composeJobManager?.environment?.FLINK_PROPERTIES ?? '');
          expect(composed.size).toBeGreaterThan(3);
          for (const [key, value] of composed) expect(properties.get(key), key).toBe(value);
        });

        it('has one JobManager, replaced not rolled, and slots for both of its jobs', () => {
          const { jobManager, taskManager, jm, properties } = flink();
          expect(jobManager.replicas).toBe(1);
          expect(jobManager.strategy?.type).toBe('Recreate');
          // AnalyticsMain submits two jobs (analytics and trading), each at --parallelism; jobs share no slot.
          const parallelism = Number(/^--parallelism=(\d+)$/m.exec((jm?.args ?? []).join('\n'))?.[1]);
          const slots = Number(properties.get('taskmanager.numberOfTaskSlots')) * (taskManager.replicas ?? 1);
          expect(slots).toBeGreaterThanOrEqual(2 * parallelism);
          expect(jm?.readinessProbe?.httpGet).toMatchObject({ path: '/overview', port: 'rest' });
          expect(jm?.ports?.find((port) => port.name === 'rest')?.containerPort).toBe(8081);
        });

        it('gives each JVM a memory limit no smaller than the process size Flink is told', () => {
          const { jm, tm, properties } = flink();
          for (const [container, key] of [
            [jm, 'jobmanager.memory.process.size'],
            [tm, 'taskmanager.memory.process.size'],
          ] as const)
            expect(mebibytes(container?.resources?.limits?.memory ?? '0'), key).toBeGreaterThanOrEqual(
              mebibytes(properties.get(key) ?? 'unset'),
            );
        });

        it('mounts one ReadWriteMany checkpoint volume where the job writes its checkpoints, on both sides', () => {
          const { jobManager, taskManager, jm } = flink();
          const claim = find('PersistentVolumeClaim', 'analytics-checkpoints').spec as { accessModes: string[] };
          expect(claim.accessModes).toEqual(['ReadWriteMany']);
          const checkpointDir = jm?.args?.find((arg) => arg.startsWith('--checkpoint-dir='))?.split('=')[1];
          for (const pod of [jobManager, taskManager]) {
            const volume = pod.template.spec.volumes?.find(
              (entry) => entry.persistentVolumeClaim?.claimName === 'analytics-checkpoints',
            );
            const mount = pod.template.spec.containers[0]?.volumeMounts?.find((entry) => entry.name === volume?.name);
            expect(mount?.mountPath).toBe(checkpointDir);
          }
        });

        it('lets its pods reach each other on every port Flink uses, and Prometheus the reporter', () => {
          const { jm, tm, properties } = flink();
          const policy = find('NetworkPolicy', 'analytics').spec as {
            ingress: NetworkPolicyRule[];
            egress: (NetworkPolicyRule & { to?: NetworkPolicyRule['from'] })[];
          };
          const allows = (rules: NetworkPolicyRule[], port: number) =>
            rules.some((rule) =>
              rule.ports?.some((range) => range.port <= port && port <= (range.endPort ?? range.port)),
            );
          const amongThemselves = (peers?: NetworkPolicyRule['from']) =>
            peers?.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'analytics');
          const reporter = Number(properties.get('metrics.reporter.prom.port'));
          // The blob port is the image entrypoint's (6124); every other is a `*.port` property.
          const flinkPorts = [6124, 6123].concat(
            [...properties]
              .filter(([key]) => key.endsWith('.port') && key !== 'metrics.reporter.prom.port')
              .map(([, value]) => Number(value)),
          );
          expect(flinkPorts.length).toBeGreaterThan(4);
          const ingress = policy.ingress.filter((rule) => amongThemselves(rule.from));
          const egress = policy.egress.filter((rule) => amongThemselves(rule.to));
          for (const port of flinkPorts) {
            expect(allows(ingress, port), `ingress ${port}`).toBe(true);
            expect(allows(egress, port), `egress ${port}`).toBe(true);
          }
          const fromMonitoring = policy.ingress.filter((rule) => rule.from?.some((peer) => peer.namespaceSelector));
          expect(allows(fromMonitoring, reporter)).toBe(true);
          // What the ServiceMonitor scrapes: a port named metrics, the reporter's, on both sides.
          for (const container of [jm, tm])
            expect(container?.ports?.find((port) => port.name === 'metrics')?.containerPort).toBe(reporter);
          const services = objects.filter(
            (object) =>
              object.kind === 'Service' &&
              (object.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/name'] ===
                'analytics',
          );
          expect(services.map((service) => service.metadata.name).sort()).toEqual([
            'analytics-jobmanager',
            'analytics-taskmanager',
          ]);
          for (const service of services)
            expect((service.spec as { ports: { name: string; port: number }[] }).ports).toContainEqual(
              expect.objectContaining({ name: 'metrics', port: reporter }),
            );
        });
      });

      it('ends TLS at the ingress', () => {
        const ingress = find('Ingress', 'tickstream').spec as { tls: { secretName: string }[] };
        expect(ingress.tls[0]?.secretName).toBe('tickstream-tls');
      });
    });
  }

  it('refuses a misspelt field, a wrong type and an unknown kind, naming each', () => {
    const dev = build(join(k8s, 'overlays/dev'));
    const broken = dev
      .replace('readinessProbe:', 'readynessProbe:')
      .replace('averageUtilization: 60', 'averageUtilization: "60"')
      .replace('kind: PodDisruptionBudget', 'kind: PodDisruptionBuget');
    const result = validate(broken);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.readynessProbe"/);
    expect(result.stdout).toMatch(/cannot unmarshal string .*averageUtilization/);
    expect(result.stdout).toMatch(/no kind "PodDisruptionBuget"/);
    const writable = validate(dev.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'));
    expect(writable.stdout).toMatch(/the root filesystem must be read-only/);
    // Init containers too: the analytics pods' copy of Flink's conf/.
    const initWritable = validate(dev.replace(/(- command:\n\s+- cp[\s\S]*?readOnlyRootFilesystem: )true/, '$1false'));
    expect(initWritable.stdout).toMatch(/container flink-conf: the root filesystem must be read-only/);
  });

  it.skipIf(!have('promtool', ['--version']))('has a prometheus-adapter query that is valid PromQL', () => {
    const config = parse(
      (parse(readFileSync(join(k8s, 'prometheus-adapter/rules.yaml'), 'utf8')) as { data: Record<string, string> })
        .data['config.yaml'] ?? '',
    ) as { rules: { metricsQuery: string }[] };
    // The adapter's templates filled in as it would for the edge pods of one namespace.
    const rules = config.rules.map((rule, index) => ({
      record: `tickstream:adapter_query_${index}`,
      expr: rule.metricsQuery
        .replaceAll('<<.Series>>', 'tickstream_edge_connections')
        .replaceAll('<<.LabelMatchers>>', 'namespace="tickstream",pod=~"edge-.*"')
        .replaceAll('<<.GroupBy>>', 'pod'),
    }));
    const file = join(dir, 'adapter-rules.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'adapter', rules }] }));
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});
