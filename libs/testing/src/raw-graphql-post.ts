/** GraphQL over HTTP exactly as given (any body, any headers), as a client or an attacker would send it. */
export async function rawGraphQLPost(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] },
  };
}
