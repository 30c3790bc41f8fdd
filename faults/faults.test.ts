import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from './support/report';
import { runScenario, type ScenarioRun } from './support/run-scenario';
import { selectScenarios } from './support/scenarios';
import { startWorld, type World } from './support/world';

/**
 * Parley in services mode on its own Redis, PostgreSQL and Kafka, with clients asking questions and following
 * the replies while each scenario breaks something; after each, the same invariants (support/invariants.ts).
 * `npm run test:faults` (all), `FAULTS_SUBSET=ci` (CI's subset), `FAULTS_ONLY=redis-restart,…`.
 */
const scenarios = selectScenarios(process.env);
const resultsPath = resolve(import.meta.dirname, process.env['FAULTS_RESULTS'] ?? 'results/latest.md');
const runs: ScenarioRun[] = [];
const startedAt = Date.now();
let world: World | undefined;

describe('every reply survives Redis, Kafka, PostgreSQL and process failures (services mode, own dependencies)', () => {
  beforeAll(async () => {
    world = await startWorld();
  }, 600_000);

  afterAll(async () => {
    const subset = process.env['FAULTS_ONLY'] ? `only ${process.env['FAULTS_ONLY']}` : (process.env['FAULTS_SUBSET'] ?? 'all');
    const report = await writeReport(resultsPath, runs, { startedAt, subset });
    console.log(`\n${report}\n(written to ${resultsPath})`);
    if (world) {
      // The services' own words on what happened, for whoever reads a failure.
      await writeFile(resolve(resultsPath, '../services.log'), world.platform.logs());
    }
    await world?.stop();
  }, 300_000);

  for (const scenario of scenarios) {
    it(
      scenario.title,
      async () => {
        const run = await runScenario(world!, scenario);
        runs.push(run);
        expect(run.error, 'the scenario could not be carried out').toBeNull();
        expect(run.violations).toEqual([]);
      },
      900_000,
    );
  }
});
