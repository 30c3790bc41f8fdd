import { createContext, useContext } from 'react';
import type { ParleyClients } from '../api/graphql-client';
import type { Session } from '../auth/session';
import type { StreamStore } from '../stream/stream-store';

/** What every screen is built from, made once in main.tsx and handed down (no module-level singletons). */
export interface AppServices {
  session: Session;
  clients: ParleyClients;
  streams: StreamStore;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error('useServices outside <AppContext.Provider>');
  return services;
}
