import type { EdgeDependencies, EdgeRoutes } from '../edge-routes';

// Placeholder while this API is being written.
export function explorerRoutes(_deps: EdgeDependencies): EdgeRoutes {
  return { routes: {} };
}
