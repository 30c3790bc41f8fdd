import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A models file for suites that need more than the instant dev model:
 * "dev/echo" (instant), "dev/slow" (a word every `slowTokenMs`) and
 * "broken/model" (an OpenAI-compatible deployment nobody listens at).
 * The dev models cost `pricePerMTok` a million tokens, read or written (free
 * by default), for suites about what replies cost.
 * Returns the settings that point the models service at it.
 */
export function testModelsSettings({ slowTokenMs = 80, pricePerMTok = 0 }: { slowTokenMs?: number; pricePerMTok?: number } = {}): Record<
  string,
  string
> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-models-'));
  const path = join(dir, 'models.yaml');
  const dev = { provider: 'dev', contextWindow: 32_768, inputPricePerMTok: pricePerMTok, outputPricePerMTok: pricePerMTok };
  writeFileSync(
    path,
    stringify({
      deployments: [
        { id: 'dev-echo', model: 'dev/echo', displayName: 'Echo (development model)', ...dev },
        { id: 'dev-slow', model: 'dev/slow', displayName: 'Slow echo', ...dev, tokenDelayMs: slowTokenMs },
        {
          id: 'broken',
          model: 'broken/model',
          displayName: 'Nobody home',
          provider: 'openai',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'BROKEN_MODEL_KEY',
          upstreamModel: 'none',
          contextWindow: 8_192,
          inputPricePerMTok: 1,
          outputPricePerMTok: 1,
        },
      ],
    }),
  );
  return { MODELS_CONFIG: path, BROKEN_MODEL_KEY: 'sk-nobody', ROUTER_MAX_ATTEMPTS: '1', GENERATION_RETRY_BASE_MS: '50' };
}
