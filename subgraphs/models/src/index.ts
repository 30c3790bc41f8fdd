import { exitOnStartFailure, runSubgraph } from '@parley/service-host';
import { modelsSubgraph } from './server';

runSubgraph(modelsSubgraph).catch(exitOnStartFailure('models'));
