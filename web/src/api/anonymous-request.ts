import { stringifyDocument, type TypedDocumentNode } from '@urql/core';

/** An operation sent without a session (before sign-in: the identity providers, starting an OIDC sign-in). */
export async function anonymousRequest<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: stringifyDocument(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `The server answered ${response.status}`);
  return body.data;
}
