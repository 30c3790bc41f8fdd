import type { IncomingMessage } from 'node:http';
import { BadUserInputError } from '@parley/errors';

/**
 * A request's query string, read as the graph's arguments: absent or empty
 * means "not given" (the graph's default applies), and a malformed value is
 * refused here, since the graph would only see it as a variable of the wrong type.
 */
export class QueryParameters {
  private readonly params: URLSearchParams;

  constructor(req: IncomingMessage) {
    const url = req.url ?? '/';
    const start = url.indexOf('?');
    this.params = new URLSearchParams(start === -1 ? '' : url.slice(start + 1));
  }

  string(name: string): string | undefined {
    const value = this.params.get(name);
    return value === null || value === '' ? undefined : value;
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,9}$/.test(value)) {
      throw new BadUserInputError(`"${name}" must be a whole number (got "${value}").`, { field: name });
    }
    return Number(value);
  }
}
