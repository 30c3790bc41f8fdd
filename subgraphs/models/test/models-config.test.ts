import { describe, expect, it } from 'vitest';
import { ModelsConfigError, parseModelsConfig } from '../src/catalog/models-config';

const valid = `
deployments:
  - id: openai-main
    model: openai/gpt-4o
    displayName: GPT-4o
    provider: openai
    baseUrl: https://api.openai.com/v1
    apiKeyEnv: OPENAI_API_KEY
    upstreamModel: gpt-4o
    contextWindow: 128000
    inputPricePerMTok: 2.5
    outputPricePerMTok: 10
aliases:
  gpt-4:
    strategy: priority
    targets: [openai-main]
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk' }): string[] {
  try {
    parseModelsConfig(text, 'models.yaml', env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ModelsConfigError);
    return (error as ModelsConfigError).problems;
  }
}

describe('the models configuration file', () => {
  it('accepts a valid file, filling defaults', () => {
    const config = parseModelsConfig(valid, 'models.yaml', { OPENAI_API_KEY: 'sk' });
    expect(config.deployments[0]).toMatchObject({ weight: 1, priority: 1, maxConcurrency: 64, shareCache: false });
    expect(config.aliases['gpt-4']).toEqual({ strategy: 'priority', targets: ['openai-main'] });
  });

  it('names the entry and the field of each problem', () => {
    const broken = valid
      .replace('baseUrl: https://api.openai.com/v1', 'baseUrl: not a url')
      .replace('inputPricePerMTok: 2.5', 'inputPricePerMTok: -1');
    expect(problemsOf(broken)).toEqual([
      'deployments[0] ("openai-main").baseUrl: must be an http(s) URL, e.g. https://api.openai.com/v1',
      'deployments[0] ("openai-main").inputPricePerMTok: must not be negative',
    ]);
  });

  it('refuses an API-key variable that is not set, without printing any key', () => {
    expect(problemsOf(valid, {})).toEqual(['deployments[0] ("openai-main").apiKeyEnv: the variable OPENAI_API_KEY is not set']);
  });

  it('refuses aliases that point nowhere, duplicate ids and unknown strategies', () => {
    const text = `${valid}  broken:\n    strategy: fastest\n    targets: [nowhere]\n`;
    expect(problemsOf(text)).toEqual(['aliases.broken.strategy: must be one of priority, weighted, least-latency, cheapest']);
    expect(problemsOf(valid.replace('targets: [openai-main]', 'targets: [nowhere]'))).toEqual([
      'aliases.gpt-4.targets[0]: "nowhere" is neither a deployment nor a model',
    ]);
    const twice = valid.replace(
      'aliases:',
      `  - id: openai-main\n    model: openai/gpt-4o\n    displayName: Copy\n    provider: dev\n    contextWindow: 10\n    inputPricePerMTok: 0\n    outputPricePerMTok: 0\naliases:`,
    );
    expect(problemsOf(twice)).toEqual(['deployments[1] ("openai-main").id: is used by another deployment']);
  });

  it('says when the file is not YAML at all', () => {
    expect(problemsOf('deployments: [')[0]).toMatch(/^not valid YAML\/JSON/);
  });
});
