/**
 * A `fetch` for a client under test whose service is not up yet: the real
 * fetch underneath, and the first refused connection starts the service
 * (`start`), as a service restarting behind its address comes back while its
 * callers retry. `refused()` says how many calls were refused meanwhile.
 */
export function fetchStartingServiceOnRefusal(start: () => Promise<unknown>): { fetch: typeof fetch; refused(): number } {
  let refused = 0;
  let starting: Promise<unknown> | undefined;
  return {
    fetch: async (input, init) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        refused++;
        starting ??= start();
        throw error;
      }
    },
    refused: () => refused,
  };
}
