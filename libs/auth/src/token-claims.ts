/** The claims every Parley access token carries (RFC 9068 profile). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** RFC 8725: verify against an allow-list, never the token's own `alg`. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256'] as const;

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
}
