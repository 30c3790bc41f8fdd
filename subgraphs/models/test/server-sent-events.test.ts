import { describe, expect, it } from 'vitest';
import { readServerSentEvents } from '../src/providers/server-sent-events';

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>, signal = new AbortController().signal) {
  const events: string[] = [];
  await readServerSentEvents(body, signal, (event) => events.push(event));
  return events;
}

describe('reading a text/event-stream body', () => {
  it('yields each data payload, whatever the network split', async () => {
    expect(await collect(streamOf('data: {"a":1}\n\nda', 'ta: {"b":2}\n', '\ndata: [DONE]\n\n'))).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
  });

  it('accepts CRLF line ends, joins multi-line data and skips comments and other fields', async () => {
    expect(await collect(streamOf(': keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata: first\r\ndata: second\r\n\r\n'))).toEqual([
      'first\nsecond',
    ]);
  });

  it('keeps the character after "data:" when there is no space, and handles UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data:你好\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    expect(await collect(body)).toEqual(['你好']);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: one\n\n'));
      },
    });
    const events: string[] = [];
    await readServerSentEvents(body, controller.signal, (event) => {
      events.push(event);
      controller.abort();
    });
    expect(events).toEqual(['one']);
  });
});
