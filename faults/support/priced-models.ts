import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The model the load asks: the development echo, a word every `tokenDelayMs`, so a reply lasts seconds. */
export const SLOW_MODEL = 'dev/slow';
/** The same echo at once, priced alike: what a question costs when nothing fails (the invariants' yardstick). */
export const INSTANT_MODEL = 'dev/echo';

/**
 * A models file for the fault suite: both development models *priced*, so a reply charged twice shows in
 * dollars as well as in tokens, and nothing else changed from the production defaults (the platform's
 * suites' own file, testModelsSettings, also turns the router's and the worker's retries down, which a
 * fault suite must not do). Prices are whole dollars per million tokens: every charge is a whole number
 * of micro-dollars, as the budgets count them.
 */
export function pricedModelsSettings({ tokenDelayMs }: { tokenDelayMs: number }): Record<string, string> {
  const path = join(mkdtempSync(join(tmpdir(), 'parley-faults-models-')), 'models.yaml');
  const dev = { provider: 'dev', contextWindow: 32_768, inputPricePerMTok: 10, outputPricePerMTok: 20 };
  writeFileSync(
    path,
    stringify({
      deployments: [
        { id: 'dev-echo', model: INSTANT_MODEL, displayName: 'Echo (development model)', ...dev },
        { id: 'dev-slow', model: SLOW_MODEL, displayName: 'Slow echo', ...dev, tokenDelayMs },
      ],
    }),
  );
  return { MODELS_CONFIG: path };
}
