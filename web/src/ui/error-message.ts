import type { CombinedError } from 'urql';
import type { Translate } from '../i18n/i18n';

/** What to tell a person about a refused operation: the graph's message and its stable code, or that the server is unreachable. */
export function errorMessage(error: CombinedError | undefined | null, t: Translate): string {
  if (!error) return '';
  const first = error.graphQLErrors[0];
  if (first) {
    const code = first.extensions?.['code'];
    return typeof code === 'string' ? `${first.message} (${code})` : first.message;
  }
  return t('app.unreachable');
}
