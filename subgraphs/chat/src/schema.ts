import { readTypeDefs } from '@parley/runtime';

export const typeDefs = readTypeDefs(new URL('../schema.graphql', import.meta.url));
