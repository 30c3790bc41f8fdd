import type { EdgeDependencies, EdgeRoutes } from '../edge-routes';

// Placeholder while this API is being written.
export function restApiRoutes(_deps: EdgeDependencies): EdgeRoutes {
  return { routes: {} };
}
