export type { SubgraphDefinition, SubgraphDependencies, SubgraphService } from './subgraph-definition';
export { drainSubgraph } from './subgraph-definition';
export { servicesConfigSchema, type ServicesConfig } from './services-config';
export { connectInfrastructure, type Infrastructure } from './infrastructure';
export { runSubgraph, exitOnStartFailure } from './run-subgraph';
export { tcpProbe, hostAndPort } from './tcp-probe';
export { runWorker } from './run-worker';
