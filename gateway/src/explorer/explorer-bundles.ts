import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { Logger } from '@parley/runtime';
import type { AssetSet } from './static-assets';

/** GraphiQL 5, React 19 and graphql-ws in one script, built from browser/graphiql-bundle.js. */
export const GRAPHIQL_BUNDLE = 'graphiql.js';

/**
 * Monaco's web workers (GraphiQL 5's editors are Monaco), by the data
 * attribute of #graphiql that graphiql.js reads each one's URL from.
 */
export const MONACO_WORKERS = {
  'editor-worker': 'editor.worker.js',
  'json-worker': 'json.worker.js',
  'graphql-worker': 'graphql.worker.js',
} as const;

const require = createRequire(import.meta.url);

/**
 * graphiql.js and Monaco's workers, built by esbuild from the installed
 * packages when /graphiql is first asked for (some 4 s of CPU, 2–3 s on an
 * idle two-core machine, which a gateway nobody browses never spends), then
 * served from memory. GraphiQL 4+
 * and React 19 publish no browser-ready bundle, only ES modules with bare
 * imports, web workers and CSS imports that a browser cannot load as they
 * are. esbuild is imported only then, too.
 */
export function graphiqlBundles(logger: Logger): AssetSet {
  return {
    names: [GRAPHIQL_BUNDLE, ...Object.values(MONACO_WORKERS)],
    async load() {
      const startedAt = performance.now();
      const { build, stop } = await import('esbuild');
      const graphiqlReact = dirname(createRequire(require.resolve('graphiql/package.json')).resolve('@graphiql/react/package.json'));
      const entry = fileURLToPath(new URL('./browser/graphiql-bundle.js', import.meta.url));
      const result = await build({
        entryPoints: {
          [stem(GRAPHIQL_BUNDLE)]: entry,
          [stem(MONACO_WORKERS['editor-worker'])]: 'monaco-editor/esm/vs/editor/editor.worker.js',
          [stem(MONACO_WORKERS['json-worker'])]: 'monaco-editor/esm/vs/language/json/json.worker.js',
          [stem(MONACO_WORKERS['graphql-worker'])]: 'monaco-graphql/esm/graphql.worker.js',
        },
        outdir: '/',
        write: false,
        bundle: true,
        // Classic scripts, each whole: the page loads graphiql.js with <script>, Monaco each worker with `new Worker(url)`.
        format: 'iife',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        define: { 'process.env.NODE_ENV': '"production"' },
        // graphiql.css (GraphiQL's style.css) already holds Monaco's CSS, which Monaco's modules import one file at a time.
        loader: { '.css': 'empty' },
        plugins: [fromGraphiqlReact(graphiqlReact, entry)],
        logLevel: 'silent',
      }).finally(() =>
        // esbuild's service process would otherwise stay for the life of the gateway, holding the ~350 MB
        // the build grew it to. The gateway has nothing else for it to do, and esbuild starts a new one for
        // whatever calls it next (tsx, in development).
        stop(),
      );
      logger.info(
        {
          durationMs: Math.round(performance.now() - startedAt),
          bytes: result.outputFiles.reduce((sum, file) => sum + file.contents.length, 0),
        },
        "built GraphiQL's bundles",
      );
      return result.outputFiles.map((file) => ({ name: basename(file.path), body: Buffer.from(file.contents) }));
    },
  };
}

/**
 * The gateway depends on graphiql, which depends on @graphiql/react, which
 * brings Monaco, monaco-graphql and @graphiql/toolkit: the workers' entry
 * points and graphiql-bundle.js's import of the toolkit are resolved from
 * @graphiql/react, where npm put them for it, so the versions are the ones it
 * was installed with. Every other import resolves as usual.
 */
function fromGraphiqlReact(graphiqlReact: string, entry: string): Plugin {
  const ownImport = { entry: true };
  return {
    name: 'from-graphiql-react',
    setup(build) {
      build.onResolve({ filter: /^(?:@graphiql\/toolkit|monaco-editor|monaco-graphql)(?:\/|$)/ }, (args) => {
        const ours = args.kind === 'entry-point' || args.importer === entry;
        if (!ours || args.pluginData === ownImport) return undefined;
        return build.resolve(args.path, { kind: args.kind, resolveDir: graphiqlReact, pluginData: ownImport });
      });
    },
  };
}

/** "graphiql.js" → "graphiql": esbuild names each output after its entry point's key and adds the extension. */
function stem(name: string): string {
  return name.replace(/\.js$/, '');
}
