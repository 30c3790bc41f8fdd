/** Who is making a request, as proven by a verified access token. */
export interface Viewer {
  userId: string;
  roles: string[];
  /** The token's `jti`, for audit logs. */
  tokenId: string;
  /** The signed-in session (refresh-token family) the token came from; null for API-key tokens. */
  sessionId: string | null;
  /** What an API key may do ("chat", "models"); null for a person's own session, which may do everything they may. */
  scopes: string[] | null;
  /** The API key behind the request, if any. */
  apiKeyId: string | null;
}
