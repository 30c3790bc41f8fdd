import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ErrorCode, httpStatusFor } from '@parley/errors';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../gateway-context';

/** SHA-256 of an operation's text → the text: the operations of Parley's own clients (`npm run codegen` writes it). */
export type OperationManifest = Readonly<Record<string, string>>;

export function loadOperationManifest(): OperationManifest {
  return createRequire(import.meta.url)('@parley/client/operation-manifest.json') as OperationManifest;
}

export const operationHash = (text: string) => createHash('sha256').update(text).digest('hex');

// Apollo Server keys automatic persisted queries as "apq:<sha256>" in the cache it is given.
const APQ_PREFIX = 'apq:';

/**
 * The cache behind automatic persisted queries. Manifest operations are always
 * known by their hash, so a client may send the hash alone from its first
 * request; with `trustedOnly`, nothing else can be registered.
 */
export function createPersistedQueryCache({
  base,
  manifest,
  trustedOnly,
  onLookup = () => {},
}: {
  base: KeyValueCache<string>;
  manifest: OperationManifest;
  trustedOnly: boolean;
  /** Hears each lookup's result (the cache hit-ratio metric): found in the manifest or the cache, or not. */
  onLookup?: (hit: boolean) => void;
}): KeyValueCache<string> {
  return {
    async get(key) {
      const known = key.startsWith(APQ_PREFIX) ? manifest[key.slice(APQ_PREFIX.length)] : undefined;
      if (known !== undefined || trustedOnly) {
        onLookup(known !== undefined);
        return known;
      }
      const stored = await base.get(key);
      onLookup(stored !== undefined);
      return stored;
    },
    async set(key, value, options) {
      if (!trustedOnly) await base.set(key, value, options);
    },
    delete: (key) => base.delete(key),
  };
}

/**
 * Trusted documents: only operations in the manifest run. The gateway's own
 * follow-up queries (a subscription's ownership check and completed message)
 * are built at run time and marked internal, so they pass.
 */
export function trustedDocumentsPlugin(manifest: OperationManifest): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ queryHash, contextValue }) {
          if (contextValue.internal || manifest[queryHash] !== undefined) return;
          throw new GraphQLError(
            "This gateway runs only the operations of Parley's clients (trusted documents), and this one is not among them. Send one from the operation manifest, or have it added there.",
            { extensions: { code: ErrorCode.FORBIDDEN, http: { status: httpStatusFor(ErrorCode.FORBIDDEN) } } },
          );
        },
      };
    },
  };
}
