import { ConfigError } from '@parley/runtime';

/** A failure a person can act on: its message says what went wrong and what to do; it is printed without a stack. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/**
 * Runs a command-line script: a BackupError or a configuration error prints its
 * message alone; anything else prints its stack. Either way the exit code is 1.
 */
export async function runScript(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof BackupError || error instanceof ConfigError) console.error(`${name} failed: ${error.message}`);
    else console.error(`${name} failed unexpectedly:`, error);
    process.exitCode = 1;
  }
}

/** A URL as it may be printed: user name and password replaced. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username) parsed.username = '***';
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
