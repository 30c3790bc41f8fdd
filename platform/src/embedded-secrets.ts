import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets the embedded mode needs but nobody set (there is no environment to
 * set): generated once and kept in the data folder, readable only by its owner,
 * so data encrypted with them survives a restart. Without a data folder they
 * live as long as the process.
 */
export function embeddedSecret(dataDir: string | undefined, name: string, bytes = 32): string {
  if (!dataDir) return randomBytes(bytes).toString('base64');
  const dir = join(dataDir, 'secrets');
  const file = join(dir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes).toString('base64');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
