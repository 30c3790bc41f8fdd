import { exitOnStartFailure, runSubgraph } from '@parley/service-host';
import { translationSubgraph } from './server';

runSubgraph(translationSubgraph).catch(exitOnStartFailure('translation'));
