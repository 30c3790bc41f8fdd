/**
 * Where the users service trades a partner's API key for a short-lived access
 * token (POST {"key": "pk_…"} → {"accessToken", "expiresAt"}). The gateway calls
 * it so that every subgraph verifies one kind of credential only.
 */
export const API_KEY_TOKEN_PATH = '/internal/api-key-token';
