import type { Logger } from './logger';

export interface Shutdown {
  /** Registers a step; steps run in reverse order of registration (last opened, first closed). */
  add(name: string, step: () => Promise<void> | void): void;
  run(reason: string): Promise<void>;
  /** SIGTERM/SIGINT run the steps, then exit; a step that hangs is cut off after `timeoutMs`. */
  installSignalHandlers(): void;
}

export function createShutdown({ logger, timeoutMs = 15_000 }: { logger: Logger; timeoutMs?: number }): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  let running: Promise<void> | undefined;

  async function runSteps(reason: string): Promise<void> {
    logger.info({ reason }, 'shutting down');
    for (const { name, step } of [...steps].reverse()) {
      // Each step's time is logged: a drain that takes seconds must show where they went.
      const started = performance.now();
      try {
        await step();
        logger.info({ step: name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
      } catch (error) {
        logger.warn({ err: error, step: name, ms: Math.round(performance.now() - started) }, 'shutdown step failed');
      }
    }
    logger.info('shutdown complete');
  }

  const shutdown: Shutdown = {
    add(name, step) {
      steps.push({ name, step });
    },
    run(reason) {
      running ??= runSteps(reason);
      return running;
    },
    installSignalHandlers() {
      const onSignal = (signal: NodeJS.Signals) => {
        const timer = setTimeout(() => {
          logger.error({ timeoutMs }, 'shutdown took too long; exiting');
          process.exit(1);
        }, timeoutMs);
        timer.unref();
        void shutdown.run(signal).then(() => process.exit(0));
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
  };
  return shutdown;
}
