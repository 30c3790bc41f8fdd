import { exitOnStartFailure, runSubgraph } from '@parley/service-host';
import { usersSubgraph } from './server';

runSubgraph(usersSubgraph).catch(exitOnStartFailure('users'));
