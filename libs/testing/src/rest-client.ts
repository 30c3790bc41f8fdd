/** HTTP calls as any client makes them: REST routes with JSON, and server-sent event streams read as a browser would. */

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RestCall {
  token?: string;
  /** Sent as JSON, unless it is a string (sent as it is). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The gateway's origin, from its /graphql URL. */
export const originOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');

/** A plain fetch of a REST route, the way any HTTP client would call it. */
export async function fetchRest(origin: string, method: string, path: string, { token, body, headers = {}, signal }: RestCall = {}) {
  return fetch(origin + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    ...(signal ? { signal } : {}),
  });
}

/** A REST call answered with JSON (or nothing: 204). */
export async function callRest<T = any>(origin: string, method: string, path: string, call: RestCall = {}): Promise<RestResponse<T>> {
  const response = await fetchRest(origin, method, path, call);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export interface ServerSentEvent {
  event: string;
  id?: string;
  data: any;
}

/**
 * Reads a text/event-stream response event by event (comment lines are
 * counted, not returned), as a browser's EventSource parses it.
 */
export async function* serverSentEvents(response: Response, comments: string[] = []): AsyncGenerator<ServerSentEvent> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event: Partial<ServerSentEvent> & { lines: string[] } = { lines: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) event.lines.push(line.slice(6));
        }
        if (event.lines.length > 0)
          yield { event: event.event ?? 'message', ...(event.id ? { id: event.id } : {}), data: JSON.parse(event.lines.join('\n')) };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export async function allEvents(response: Response): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(response)) events.push(event);
  return events;
}
