import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

/** Reads rover's supergraph config format (supergraph.yaml). */
export function readSupergraphConfig(configPath: string): SubgraphEntry[] {
  const config = parseYaml(readFileSync(configPath, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  const base = dirname(configPath);
  return Object.entries(config.subgraphs ?? {}).map(([name, entry]) => {
    if (!entry.routing_url || !entry.schema?.file) {
      throw new Error(`${configPath}: subgraph "${name}" needs routing_url and schema.file`);
    }
    return { name, routingUrl: entry.routing_url, schemaFile: resolve(base, entry.schema.file) };
  });
}

export class CompositionError extends Error {
  constructor(readonly errors: readonly { message: string; code?: string }[]) {
    super(
      `Composition failed with ${errors.length} error(s):\n${errors.map((e) => `  - ${e.code ? `[${e.code}] ` : ''}${e.message}`).join('\n')}`,
    );
    this.name = 'CompositionError';
  }
}

export interface ComposedSupergraph {
  /** With @join directives: what the gateway plans with. */
  supergraphSdl: string;
  /** The client-facing schema: what codegen, docs and the explorer see. */
  apiSchemaSdl: string;
}

/**
 * Composes subgraph schemas the way rover does, with @apollo/composition.
 * `routingUrls` overrides where each subgraph is reached (embedded mode and
 * tests bind to ephemeral ports).
 */
export function composeSupergraph(subgraphs: SubgraphEntry[], routingUrls: Record<string, string> = {}): ComposedSupergraph {
  const result = composeServices(
    subgraphs.map(({ name, routingUrl, schemaFile }) => ({
      name,
      url: routingUrls[name] ?? routingUrl,
      typeDefs: parse(readFileSync(schemaFile, 'utf8')),
    })),
  );
  if (result.errors) {
    throw new CompositionError(result.errors.map((e) => ({ message: e.message, code: e.extensions?.['code'] as string | undefined })));
  }
  return {
    supergraphSdl: result.supergraphSdl,
    apiSchemaSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
  };
}

/** The routing URL of each subgraph, by name, as written in a supergraph's join__Graph enum. */
export function routingUrlsOf(supergraphSdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[match[1]!] = match[2]!;
  }
  return urls;
}
