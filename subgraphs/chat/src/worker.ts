import { exitOnStartFailure, runWorker } from '@parley/service-host';
import { chatSubgraph, startChatWorkerFrom } from './server';

runWorker(chatSubgraph, { name: 'chat-worker', defaultPort: 4012, start: startChatWorkerFrom }).catch(exitOnStartFailure('chat-worker'));
