export type { Viewer } from './viewer';
export { ACCESS_TOKEN_TYPE, ACCESS_TOKEN_ALGORITHMS, type AccessTokenSettings } from './token-claims';
export { bearerTokenFrom } from './bearer-token';
export {
  createAccessTokenVerifier,
  remoteAccessTokenVerifier,
  remoteKeySet,
  type AccessTokenVerifier,
  type RemoteVerifierOptions,
  type VerifierOptions,
} from './access-token-verifier';
export { viewerFromAuthorization } from './request-viewer';
export { API_KEY_TOKEN_PATH } from './api-key-exchange';
export { clientAddress, forwardedClientAddress, trustedProxies, type AddressedRequest, type TrustedProxies } from './client-address';
export { ADMIN_ROLE, hasScope, isAdmin, requireAdmin, requireScope, requireViewer } from './guards';
export { createRevokedSessions, SESSION_ENDED, type RevokedSessionCheck, type RevokedSessions } from './revoked-sessions';
