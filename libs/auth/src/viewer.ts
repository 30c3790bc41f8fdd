/** Who is making a request, as proven by a verified access token. */
export interface Viewer {
  userId: string;
  roles: string[];
  /** The token's `jti`, for audit logs. */
  tokenId: string;
}
