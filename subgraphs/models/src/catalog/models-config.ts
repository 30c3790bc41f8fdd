import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 lower-case letters, digits, dots, dashes or underscores');
const modelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}\/[A-Za-z0-9._:-]{1,100}$/, 'must look like "provider/model", e.g. "openai/gpt-4o"');
const price = z.number({ message: 'must be a number (USD per million tokens)' }).min(0, 'must not be negative');

const deployment = z
  .object({
    /** This deployment (one provider endpoint serving one model). */
    id,
    /** The model id clients ask for; several deployments may serve one model. */
    model: modelId,
    displayName: z.string().min(1, 'must not be empty'),
    /** "openai": any OpenAI-compatible endpoint (OpenAI, Anthropic's compatible endpoint, Azure, vLLM, Ollama, llama.cpp…); "dev": built in. */
    provider: z.enum(['openai', 'dev'], { message: 'must be "openai" (any OpenAI-compatible endpoint) or "dev"' }),
    baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://api.openai.com/v1' }).optional(),
    /** The name of the environment variable holding the API key (never the key itself). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name, e.g. OPENAI_API_KEY')
      .optional(),
    upstreamModel: z.string().min(1).optional(),
    contextWindow: z.number().int('must be a whole number').positive('must be positive'),
    inputPricePerMTok: price,
    outputPricePerMTok: price,
    weight: z.number().positive('must be positive').default(1),
    /** Lower is tried first by the priority strategy. */
    priority: z.number().int().min(0).default(1),
    maxConcurrency: z.number().int().positive().default(64),
    timeoutMs: z.number().int().positive().default(60_000),
    tags: z.array(z.string()).default([]),
    /** Whether cached replies of this deployment may be served to other users (only for non-personal workloads). */
    shareCache: z.boolean().default(false),
    /** Dev provider only: delay before the first token and between tokens. */
    firstTokenDelayMs: z.number().int().min(0).default(0),
    tokenDelayMs: z.number().int().min(0).default(0),
  })
  .superRefine((entry, ctx) => {
    if (entry.provider === 'openai') {
      if (!entry.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'is required for an OpenAI-compatible deployment' });
      if (!entry.upstreamModel)
        ctx.addIssue({ code: 'custom', path: ['upstreamModel'], message: 'is required for an OpenAI-compatible deployment' });
    }
  });

export const STRATEGIES = ['priority', 'weighted', 'least-latency', 'cheapest'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const alias = z.object({
  strategy: z.enum(STRATEGIES, { message: `must be one of ${STRATEGIES.join(', ')}` }).default('priority'),
  /** Deployment ids or model ids (a model id stands for all its deployments). */
  targets: z.array(z.string().min(1)).min(1, 'must name at least one deployment or model'),
});

export const modelsConfigSchema = z.object({
  deployments: z.array(deployment).min(1, 'must list at least one deployment'),
  aliases: z.record(z.string().regex(/^[A-Za-z0-9._:/-]{1,100}$/, 'alias names are 1–100 letters, digits or ._:/-'), alias).default({}),
  /** The strategy for a model id named directly (its own deployments). */
  defaultStrategy: z.enum(STRATEGIES).default('priority'),
});

export type DeploymentConfig = z.output<typeof deployment>;
export type ModelsConfig = z.output<typeof modelsConfigSchema>;

export class ModelsConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid models configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The built-in offline models: the whole platform runs with no provider configured. */
export const builtinConfig: ModelsConfig = modelsConfigSchema.parse({
  deployments: [
    {
      id: 'dev-echo',
      model: 'dev/echo',
      displayName: 'Echo (development model)',
      provider: 'dev',
      contextWindow: 32_768,
      inputPricePerMTok: 0,
      outputPricePerMTok: 0,
    },
  ],
});

/**
 * Parses and checks a models configuration (YAML or JSON). Every problem names
 * the entry (by index and id) and the field, so the fix is obvious.
 */
export function parseModelsConfig(text: string, source: string, env: NodeJS.ProcessEnv = {}): ModelsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ModelsConfigError(source, [`not valid YAML/JSON: ${(error as Error).message}`]);
  }
  const result = modelsConfigSchema.safeParse(raw);
  if (!result.success) {
    const entries = (raw as { deployments?: { id?: unknown }[] } | null)?.deployments;
    throw new ModelsConfigError(
      source,
      result.error.issues.map((issue) => {
        const [section, index, ...field] = issue.path;
        const entryId = section === 'deployments' && typeof index === 'number' ? entries?.[index]?.id : undefined;
        const where =
          section === 'deployments' && typeof index === 'number'
            ? `deployments[${index}]${typeof entryId === 'string' ? ` ("${entryId}")` : ''}${field.length ? `.${field.join('.')}` : ''}`
            : issue.path.join('.') || '(top level)';
        return `${where}: ${issue.message}`;
      }),
    );
  }
  const config = result.data;
  const problems: string[] = [];
  const ids = new Set<string>();
  config.deployments.forEach((d, i) => {
    if (ids.has(d.id)) problems.push(`deployments[${i}] ("${d.id}").id: is used by another deployment`);
    ids.add(d.id);
    if (d.apiKeyEnv && !env[d.apiKeyEnv]) problems.push(`deployments[${i}] ("${d.id}").apiKeyEnv: the variable ${d.apiKeyEnv} is not set`);
  });
  const models = new Set(config.deployments.map((d) => d.model));
  for (const [name, entry] of Object.entries(config.aliases)) {
    if (models.has(name)) problems.push(`aliases.${name}: is also a model id; an alias needs a name of its own`);
    entry.targets.forEach((target, i) => {
      if (!ids.has(target) && !models.has(target))
        problems.push(`aliases.${name}.targets[${i}]: "${target}" is neither a deployment nor a model`);
    });
  }
  if (problems.length > 0) throw new ModelsConfigError(source, problems);
  return config;
}

export function loadModelsConfig(path: string | undefined, env: NodeJS.ProcessEnv): ModelsConfig {
  if (!path) return builtinConfig;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ModelsConfigError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseModelsConfig(text, path, env);
}
