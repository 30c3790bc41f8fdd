import { createMetrics } from '@parley/telemetry';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

/**
 * deploy/: the Prometheus rules and their unit tests, the Grafana dashboards and data sources, the OpenTelemetry
 * Collector, and the observability profile of docker-compose.yml. Nothing here starts Docker: promtool checks the
 * rules and the PromQL, and the rest is read as the files the containers would read.
 */
const root = resolve(import.meta.dirname, '../..');
const deploy = join(root, 'deploy');
const run = promisify(execFile);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[] | null;
}
interface Target {
  expr?: string;
  datasource?: DatasourceRef;
}
interface DatasourceRef {
  type?: string;
  uid?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; datasource?: DatasourceRef; query?: string | { query: string } }[] };
}

const readYaml = <T>(path: string): T => parse(readFileSync(join(root, path), 'utf8'), { merge: true }) as T;
const rulesOf = (path: string) => readYaml<{ groups: { name: string; rules: Rule[] }[] }>(path).groups.flatMap((group) => group.rules);
const alerts = rulesOf('deploy/prometheus/alerts.yml').filter((rule) => rule.alert);
const recordingRules = rulesOf('deploy/prometheus/recording-rules.yml');
const dashboardFiles = ['system', 'business', 'models', 'cost'].map((name) => `deploy/grafana/dashboards/${name}.json`);
const dashboards = new Map(dashboardFiles.map((file) => [file, JSON.parse(readFileSync(join(root, file), 'utf8')) as Dashboard]));
const datasources = readYaml<{ datasources: { name: string; type: string; uid: string; url: string }[] }>(
  'deploy/grafana/provisioning/datasources/datasources.yml',
).datasources;

/**
 * The checks that need promtool run where it is installed, and wherever REQUIRE_PROMTOOL=1 says it must be (.ci/run
 * installs it and sets that, so CI never passes without them); elsewhere — a fresh clone with only Node — they are
 * left out, as the integration suites are without their servers, and `npm test` still passes.
 */
const promtoolHere = spawnSync('promtool', ['--version']).status === 0 || process.env.REQUIRE_PROMTOOL === '1';
const withPromtool = it.runIf(promtoolHere);

/** Runs promtool from the repository root; a missing promtool fails the test that needs it, saying how to get one. */
async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') {
      throw new Error(
        'promtool is not on PATH. Install it with `apt-get install prometheus` (Debian and Ubuntu; .ci/run does), ' +
          'or put the promtool of a Prometheus release (https://prometheus.io/download/) on PATH.',
        { cause: error },
      );
    }
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: (failed.stdout ?? '') + (failed.stderr ?? '') };
  }
}

const panelsOf = (panels: Panel[]): Panel[] => panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
const promQueries = (dashboard: Dashboard): { panel: string; expr: string }[] =>
  panelsOf(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => (target.datasource ?? panel.datasource)?.type === 'prometheus' && target.expr)
      .map((target) => ({ panel: panel.title, expr: target.expr! })),
  );
const variableQueries = (dashboard: Dashboard): string[] =>
  (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // label_values(metric, label) names a series too.
    const metric = query?.match(/^label_values\(\s*([^,)]+)\s*,/)?.[1];
    return metric ? [metric] : [];
  });

/** Grafana's variables replaced by what they stand for, so that promtool can parse the expression. */
const asPromql = (expr: string) =>
  expr
    .replaceAll(/\$__(rate_interval|interval|range)\b/g, (_, name: string) => (name === 'range' ? '1h' : '5m'))
    .replaceAll(/\$\{?\w+\}?/g, '.*');

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The series names a PromQL expression selects: what is left once strings, label matchers, ranges, grouping
 * clauses and Grafana variables are taken out, minus functions (a name before `(`), keywords and number parts.
 */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replaceAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replaceAll(/\{[^}]*\}/g, ' ')
    .replaceAll(/\[[^\]]*\]/g, ' ')
    .replaceAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replaceAll(/\$\{?\w+\}?/g, ' ');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((match) => !/^\s*\(/.test(bare.slice(match.index + match[0].length)))
    .filter((match) => !KEYWORDS.has(match[0].toLowerCase()))
    .filter((match) => match.index === 0 || !/[0-9.]/.test(bare[match.index - 1]!))
    .map((match) => match[0]);
}

/** Every name a rule or a panel may select: the catalogue's (libs/telemetry), the recording rules', and `up`. */
async function knownSeries(): Promise<Set<string>> {
  const catalogue = await createMetrics({ service: 'test' }).registry.getMetricsAsJSON();
  const names = catalogue.flatMap(({ name, type }) => {
    const kind = String(type);
    if (kind === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    if (kind === 'summary') return [name, `${name}_sum`, `${name}_count`];
    return [name];
  });
  // `up` is the one series Prometheus writes for each target it scrapes.
  return new Set([...names, ...recordingRules.map((rule) => rule.record!), 'up']);
}

describe('alert and recording rules (deploy/prometheus)', () => {
  withPromtool('pass `promtool check rules`', async () => {
    const { code, output } = await promtool('check', 'rules', 'deploy/prometheus/recording-rules.yml', 'deploy/prometheus/alerts.yml');
    expect(code, output).toBe(0);
  });

  withPromtool(
    'behave as their unit tests say (`promtool test rules deploy/prometheus/alerts.test.yml`)',
    async () => {
      const { code, output } = await promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml');
      expect(code, output).toBe(0);
      expect(output).toContain('SUCCESS');
      // promtool evaluates every test's series over hours of simulated time: seconds on a quiet machine, far more on a busy one.
    },
    180_000,
  );

  it('give every alert a test case where it fires and one where it does not', () => {
    const cases = readYaml<{ tests: { alert_rule_test?: RuleTest[] }[] }>('deploy/prometheus/alerts.test.yml').tests.flatMap(
      (test) => test.alert_rule_test ?? [],
    );
    const lacking = alerts.flatMap(({ alert }) => {
      const own = cases.filter((c) => c.alertname === alert);
      return [
        ...(own.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${alert}: no case where it fires`]),
        ...(own.some((c) => (c.exp_alerts ?? []).length === 0) ? [] : [`${alert}: no case where it stays quiet`]),
      ];
    });
    expect(lacking).toEqual([]);
    const unknown = cases.map((c) => c.alertname).filter((name) => !alerts.some((rule) => rule.alert === name));
    expect(unknown, 'tests of alerts that do not exist').toEqual([]);
  });

  it('give every alert a severity, a policy, a summary and a description, under a unique name', () => {
    expect(alerts.length).toBeGreaterThan(0);
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.labels?.policy, rule.alert).toMatch(/^[a-z-]+$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description?.length ?? 0, rule.alert).toBeGreaterThan(60);
    }
    expect(new Set(alerts.map((rule) => rule.alert)).size).toBe(alerts.length);
  });

  it('select only series of the metric catalogue', async () => {
    const known = await knownSeries();
    const rules = [...alerts, ...recordingRules];
    const unknown = rules.flatMap((rule) =>
      seriesNames(rule.expr)
        .filter((name) => !known.has(name))
        .map((name) => `${rule.alert ?? rule.record}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // `vector(3000)`, the monthly budget, is the one rule that selects nothing.
    const empty = rules.filter((rule) => seriesNames(rule.expr).length === 0).map((rule) => rule.alert ?? rule.record);
    expect(empty).toEqual(['parley:model_budget_monthly_usd']);
  });
});

describe('Grafana dashboards (deploy/grafana)', () => {
  let scratch: string;
  beforeAll(() => void (scratch = mkdtempSync(join(tmpdir(), 'parley-dashboards-'))));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('are the four dashboards, each Grafana JSON of schema 39 or later with its own uid and unique panel ids', () => {
    expect(readdirSync(join(deploy, 'grafana/dashboards')).sort()).toEqual(['business.json', 'cost.json', 'models.json', 'system.json']);
    for (const [file, dashboard] of dashboards) {
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(39);
      expect(dashboard.uid, file).toMatch(/^parley-[a-z]+$/);
      expect(dashboard.title, file).toMatch(/^Parley \//);
      const panels = panelsOf(dashboard.panels);
      expect(panels.length, file).toBeGreaterThan(5);
      expect(new Set(panels.map((panel) => panel.id)).size, file).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.gridPos, `${file}: ${panel.title}`).toBeDefined();
        expect(panel.gridPos!.x + panel.gridPos!.w, `${file}: ${panel.title}`).toBeLessThanOrEqual(24);
        if (panel.type !== 'row') expect(panel.targets?.length, `${file}: ${panel.title}`).toBeGreaterThan(0);
      }
    }
    expect(new Set([...dashboards.values()].map((dashboard) => dashboard.uid)).size).toBe(dashboards.size);
  });

  it('name only data sources that are provisioned, by uid and type', () => {
    const provisioned = new Map(datasources.map((source) => [source.uid, source.type]));
    expect([...provisioned.keys()].sort()).toEqual(['jaeger', 'prometheus']);
    const refs: { where: string; ref: DatasourceRef }[] = [];
    for (const [file, dashboard] of dashboards) {
      for (const panel of panelsOf(dashboard.panels)) {
        if (panel.type === 'row') continue;
        refs.push({ where: `${file}: ${panel.title}`, ref: panel.datasource ?? {} });
        for (const target of panel.targets ?? []) refs.push({ where: `${file}: ${panel.title} (query)`, ref: target.datasource ?? {} });
      }
      for (const variable of dashboard.templating?.list ?? [])
        refs.push({ where: `${file}: $${variable.name}`, ref: variable.datasource ?? {} });
    }
    const wrong = refs
      .filter(({ ref }) => !ref.uid || provisioned.get(ref.uid) !== ref.type)
      .map(({ where, ref }) => `${where}: ${JSON.stringify(ref)}`);
    expect(wrong).toEqual([]);
  });

  it('query only series of the metric catalogue', async () => {
    const known = await knownSeries();
    const unknown = [...dashboards].flatMap(([file, dashboard]) => [
      ...promQueries(dashboard).flatMap(({ panel, expr }) =>
        seriesNames(expr)
          .filter((name) => !known.has(name))
          .map((name) => `${file}: ${panel}: ${name}`),
      ),
      ...variableQueries(dashboard)
        .filter((name) => !known.has(name))
        .map((name) => `${file}: variable: ${name}`),
    ]);
    expect(unknown).toEqual([]);
    const selectingNothing = [...dashboards].flatMap(([file, dashboard]) =>
      promQueries(dashboard)
        .filter(({ expr }) => seriesNames(expr).length === 0)
        .map(({ panel }) => `${file}: ${panel}`),
    );
    expect(selectingNothing).toEqual([]);
  });

  withPromtool('have PromQL that Prometheus parses (checked by promtool as recording rules)', async () => {
    const rules = [...dashboards.values()]
      .flatMap((dashboard) => promQueries(dashboard))
      .map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: asPromql(expr) }));
    const file = join(scratch, 'dashboard-queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
    const { code, output } = await promtool('check', 'rules', file);
    expect(code, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

describe('the observability profile (docker-compose.yml)', () => {
  interface ComposeService {
    image?: string;
    build?: string;
    profiles?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
    entrypoint?: string[];
    tmpfs?: string[];
  }
  const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');
  // Parley's long-running processes (the one-shot migrate serves no metrics); the rest of the file is checked in
  // compose-file.test.ts.
  const parley = Object.entries(compose.services).filter(([name, service]) => service.build && name !== 'migrate');

  it('starts the OpenTelemetry Collector, Jaeger, Prometheus and Grafana, on files of deploy/ that exist', () => {
    for (const name of ['otel-collector', 'jaeger', 'prometheus', 'grafana']) {
      const service = compose.services[name];
      expect(service?.profiles, name).toEqual(['observability']);
      expect(service?.image, name).toMatch(/:[\w.-]+$/);
      for (const volume of service?.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('.')) expect(existsSync(join(root, source!)), `${name}: ${volume}`).toBe(true);
      }
    }
    expect(compose.services['prometheus']!.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(compose.services['grafana']!.volumes).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/etc/grafana/dashboards:ro',
      ]),
    );
    const provider = readYaml<{ providers: { options: { path: string } }[] }>('deploy/grafana/provisioning/dashboards/dashboards.yml');
    expect(provider.providers[0]!.options.path).toBe('/etc/grafana/dashboards');
    expect(datasources.map((source) => source.url).sort()).toEqual(['http://jaeger:16686', 'http://prometheus:9090']);
  });

  it('leaves Parley’s own services outside the profile, each sending its traces to the collector under its own name', () => {
    expect(parley.map(([name]) => name).sort()).toEqual(['chat', 'chat-worker', 'gateway', 'models', 'translation', 'users']);
    for (const [name, service] of parley) {
      expect(service.profiles, name).toBeUndefined();
      expect(service.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT'], name).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
      expect(service.environment?.['OTEL_SERVICE_NAME'], name).toBe(name);
    }
  });

  withPromtool('has Prometheus scrape every Parley service at its port and load both rule files (`promtool check config`)', async () => {
    const config = readYaml<{
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        dns_sd_configs?: { names: string[]; port: number }[];
        authorization?: { credentials_file: string };
      }[];
    }>('deploy/prometheus/prometheus.yml');
    expect(config.rule_files.sort()).toEqual(['alerts.yml', 'recording-rules.yml']);
    for (const [name, service] of parley) {
      const job = config.scrape_configs.find((scrape) => scrape.job_name === `parley-${name}`);
      expect(job?.dns_sd_configs, name).toEqual([expect.objectContaining({ names: [name], port: Number(service.environment?.['PORT']) })]);
      // Every service wants METRICS_TOKEN on /metrics; the job sends it from the file the prometheus service writes.
      expect(service.environment?.['METRICS_TOKEN'], name).toBe(compose.services['prometheus']!.environment?.['METRICS_TOKEN']);
      expect(job?.authorization, name).toEqual({ credentials_file: 'secrets/metrics-token' });
    }
    const { code, output } = await promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(code, output).toBe(0);
  });

  it('has Prometheus write METRICS_TOKEN to a tmpfs over the empty placeholder its jobs read, never into the repository', () => {
    const prometheus = compose.services['prometheus']!;
    expect(prometheus.environment?.['METRICS_TOKEN']).toMatch(/^\$\{METRICS_TOKEN:\?/);
    expect(prometheus.tmpfs).toEqual(['/etc/prometheus/secrets']);
    const [shell, flag, script] = prometheus.entrypoint ?? [];
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    expect(script).toBe(`printf '%s' "$$METRICS_TOKEN" > /etc/prometheus/secrets/metrics-token && exec /bin/prometheus "$$@"`);
    // The placeholder (for promtool, and as the tmpfs's mount point) holds no token.
    expect(readFileSync(join(deploy, 'prometheus/secrets/metrics-token'), 'utf8')).toBe('');
  });

  it('has the collector receive OTLP over gRPC and HTTP and batch the traces on to Jaeger', () => {
    const collector = readYaml<{
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
    }>('deploy/otel-collector/config.yaml');
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    const traces = collector.service.pipelines['traces']!;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.processors).toContain('batch');
    expect(traces.processors.at(-1)).toBe('batch');
    for (const processor of traces.processors) expect(collector.processors, processor).toHaveProperty([processor]);
    expect(traces.exporters.map((exporter) => collector.exporters[exporter]?.endpoint)).toEqual(['jaeger:4317']);
  });
});
