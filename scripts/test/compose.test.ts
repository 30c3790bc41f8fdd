import { buildSchema } from 'graphql';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Runs `npm run compose` (the script behind it) on a config in a scratch folder. */
async function compose(dir: string) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts/compose.ts'), join(dir, 'supergraph.yaml'), dir],
      { cwd: root },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

function scratch(subgraphs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-compose-'));
  const entries = Object.entries(subgraphs).map(([name, sdl], i) => {
    writeFileSync(join(dir, `${name}.graphql`), sdl);
    return `  ${name}:\n    routing_url: http://127.0.0.1:${4101 + i}/graphql\n    schema:\n      file: ./${name}.graphql`;
  });
  writeFileSync(join(dir, 'supergraph.yaml'), `federation_version: =2.7.0\nsubgraphs:\n${entries.join('\n')}\n`);
  return dir;
}

const header = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';

describe('npm run compose', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('composes the real subgraphs into a supergraph and an API schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-compose-'));
    dirs.push(dir);
    const config = readFileSync(join(root, 'supergraph.yaml'), 'utf8').replaceAll('./subgraphs/', `${root}/subgraphs/`);
    writeFileSync(join(dir, 'supergraph.yaml'), config);
    const { code, output } = await compose(dir);
    expect(code, output).toBe(0);
    const api = readFileSync(join(dir, 'schema.graphql'), 'utf8');
    const conversations = buildSchema(api).getQueryType()!.getFields()['conversations']!;
    expect(conversations.args.map((a) => `${a.name}: ${a.type}`)).toEqual(['first: Int', 'after: String', 'search: String']);
    expect(String(conversations.type)).toBe('ConversationConnection!');
    expect(api).not.toContain('join__');
    expect(readFileSync(join(dir, 'supergraph.graphql'), 'utf8')).toContain('@join__graph(name: "chat"');
  });

  it('fails with composition’s own error and a non-zero exit when subgraphs conflict', async () => {
    const dir = scratch({
      a: `${header}type Conversation @key(fields: "id") { id: ID! title: String! }\ntype Query { a: Conversation }`,
      b: `${header}type Conversation @key(fields: "id") { id: ID! title: Int! }\ntype Query { b: Conversation }`,
    });
    dirs.push(dir);
    const { code, output } = await compose(dir);
    expect(code).toBe(1);
    expect(output).toMatch(/Composition failed/);
    expect(output).toMatch(/\[(INVALID_FIELD_SHARING|FIELD_TYPE_MISMATCH)\]/);
    expect(output).toContain('Conversation.title');
  });
});
