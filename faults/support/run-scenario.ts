import { checkInvariants, type Verdict } from './invariants';
import { Load, untilMidReply } from './load';
import type { Fault, Scenario } from './scenarios';
import { waitFor } from './wait';
import type { World } from './world';

/** One scenario's run: what was done, what the clients saw, and what the invariants found. */
export interface ScenarioRun {
  scenario: Scenario;
  durationMs: number;
  fault: Fault | null;
  verdict: Verdict | null;
  load: Load | null;
  /** Things about the run itself (a fault that landed before any reply streamed, a phase that timed out). */
  notes: string[];
  /** The shared invariants' violations and the fault's own. */
  violations: string[];
  /** The run could not be carried out (a process that would not come back, say). */
  error: string | null;
}

/** After the fault, every client is answered again through the restored platform before the load stops. */
const RECOVERY_PATIENCE_MS = 150_000;

/**
 * One scenario, from a healthy platform: the clients start asking; once replies stream, the fault; once
 * every client has had a question answered after the fault, the clients stop (finishing what they follow);
 * then the invariants.
 */
export async function runScenario(world: World, scenario: Scenario): Promise<ScenarioRun> {
  const began = Date.now();
  const run: ScenarioRun = { scenario, durationMs: 0, fault: null, verdict: null, load: null, notes: [], violations: [], error: null };
  try {
    await world.heal();
    const clients = scenario.clients ?? 8;
    const load = await Load.start({ gatewayUrls: world.platform.gatewayUrls, clients, tag: scenario.id.replace(/[^a-z0-9]/g, '') });
    run.load = load;
    try {
      if (!(await untilMidReply(load, Math.ceil(clients / 2)))) run.notes.push('replies were not streaming yet when the fault came');
      run.fault = await scenario.inject(world, load);
      const fault = run.fault;
      if (!(await waitFor(() => load.everyClientAnsweredAfter(fault.end), RECOVERY_PATIENCE_MS))) {
        run.notes.push(`not every client had a question answered within ${RECOVERY_PATIENCE_MS / 1000} s of the fault's end`);
      }
    } finally {
      await load.stop();
    }
    run.verdict = await checkInvariants(load, {
      gatewayUrls: world.platform.gatewayUrls,
      tag: scenario.id.replace(/[^a-z0-9]/g, ''),
      budgetStoreDown: scenario.budgetStoreDown ?? false,
    });
    run.violations = [...run.fault.violations, ...run.verdict.violations];
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
  }
  run.durationMs = Date.now() - began;
  return run;
}
