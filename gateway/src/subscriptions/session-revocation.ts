import { SESSION_ENDED, type RevokedSessions } from '@parley/auth';
import { CloseCode } from 'graphql-ws';
import type WebSocket from 'ws';

/**
 * The open WebSockets of each signed-in session, closed with 4403 (graphql-ws' Forbidden, as a refused token at
 * connection is) the moment that session ends anywhere: a logout, a device revoked, a password change or a replayed
 * refresh token ends the subscriptions that session opened too, not only its next request. A socket opened with an
 * API key's token (no session) is not tracked.
 */
export function createSessionSockets(revokedSessions: Pick<RevokedSessions, 'has' | 'onRevoked'>) {
  const bySession = new Map<string, Set<WebSocket>>();
  const end = (socket: WebSocket) => socket.close(CloseCode.Forbidden, SESSION_ENDED);
  const stop = revokedSessions.onRevoked((sessionId) => {
    const sockets = bySession.get(sessionId);
    if (!sockets) return;
    bySession.delete(sessionId);
    for (const socket of sockets) end(socket);
  });
  return {
    /**
     * Remembers the socket of a session until it closes; false when the session ended already (between the token's
     * check and this moment), and the connection is to be refused.
     */
    track(sessionId: string, socket: WebSocket): boolean {
      if (revokedSessions.has(sessionId)) return false;
      let sockets = bySession.get(sessionId);
      if (!sockets) bySession.set(sessionId, (sockets = new Set()));
      sockets.add(socket);
      socket.once('close', () => {
        const open = bySession.get(sessionId);
        if (!open?.delete(socket) || open.size > 0) return;
        bySession.delete(sessionId);
      });
      return true;
    },
    close(): void {
      stop();
      bySession.clear();
    },
  };
}
