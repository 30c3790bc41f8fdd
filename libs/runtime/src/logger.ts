// The subpath keeps obscenity and openai out of every process that only logs.
import { maskPii } from '@parley/moderation/mask-pii';
// The subpath: the trace-context helpers (the OpenTelemetry API) without prom-client.
import { logCorrelation } from '@parley/telemetry/trace-context';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs. Anything that could hold a secret is censored by key,
 * wherever it appears in a log object, so a careless `logger.info({ headers })`
 * cannot leak a token. Personal data has no telling key (it turns up in messages,
 * prompts, error texts), so every written line is also searched for it.
 */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'accessToken',
          '*.accessToken',
          'refreshToken',
          '*.refreshToken',
          'apiKey',
          '*.apiKey',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'headers.cookie',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
      hooks: { streamWrite: maskPiiInLogLine },
      // trace_id and span_id of the active span (tracing on), so a line leads to its trace and back.
      mixin: () => logCorrelation() ?? {},
    },
    destination,
  );
}

// A JSON string literal, or a bare number outside one (a card or phone logged as a number).
const JSON_SCALAR = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;
// Shorter than the shortest e-mail address ("a@b.cd") with its quotes: nothing to find.
const SHORTEST_CANDIDATE = 8;

/**
 * Masks each JSON value of a serialized line on its own, decoded: in the raw
 * line an escape such as the `n` of `\n` would glue itself to a card number and
 * hide it, and a placeholder written over a bare number must become a string
 * for the line to stay valid JSON.
 */
function maskPiiInLogLine(line: string): string {
  return line.replace(JSON_SCALAR, (token) => {
    if (token.length < SHORTEST_CANDIDATE) return token;
    if (!token.startsWith('"')) {
      const masked = maskPii(token);
      return masked === token ? token : JSON.stringify(masked);
    }
    if (!token.includes('\\')) {
      const content = token.slice(1, -1);
      const masked = maskPii(content);
      return masked === content ? token : `"${masked}"`;
    }
    const value = JSON.parse(token) as string;
    const masked = maskPii(value);
    return masked === value ? token : JSON.stringify(masked);
  });
}
