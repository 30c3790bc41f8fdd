/**
 * npm run codegen:check: regenerates the composed schemas and codegen output
 * and fails if anything differs from what is committed, so a schema change
 * cannot land without its generated types.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (command: string, args: string[]) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

run('npm', ['run', '--silent', 'compose']);
run('npm', ['run', '--silent', 'codegen']);

const generated = ['supergraph.graphql', 'schema.graphql', 'subgraphs/*/src/generated/*', 'libs/client/src/generated', 'web/src/generated'];
const status = execFileSync('git', ['status', '--porcelain', '--', ...generated], { cwd: root, encoding: 'utf8' });
if (status.trim() !== '') {
  console.error(`Generated files are stale or uncommitted; run \`npm run compose && npm run codegen\` and commit:\n${status}`);
  process.exit(1);
}
console.log('Generated files are up to date.');
