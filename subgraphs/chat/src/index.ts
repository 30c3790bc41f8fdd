import { exitOnStartFailure, runSubgraph } from '@parley/service-host';
import { chatSubgraph } from './server';

runSubgraph(chatSubgraph).catch(exitOnStartFailure('chat'));
