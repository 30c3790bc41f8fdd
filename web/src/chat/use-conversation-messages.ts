import { useEffect, useState } from 'react';
import { useClient, type CombinedError, type OperationResult } from 'urql';
import { ConversationQuery } from '../api/operations';
import type { MessageFieldsFragment, WebConversationQuery } from '../generated/graphql';

/** Messages per request: with each message's siblings, 50 stays under the gateway's cost limit (100 would cost 7,505 of 5,000). */
const PAGE_SIZE = 50;

export interface ConversationMessages {
  title: string | null;
  messages: MessageFieldsFragment[];
  loading: boolean;
  /** The conversation is not there (deleted, or someone else's). */
  missing: boolean;
  error: CombinedError | null;
}

/**
 * Every message of a conversation's active branch, oldest first, however
 * many pages that takes. Each page is a live cache query: a mutation that
 * invalidates the messages makes each page read again, and when a page's end
 * moved, the pages after it are asked for anew from the new cursor.
 */
export function useConversationMessages(id: string | null): ConversationMessages {
  const client = useClient();
  const [state, setState] = useState<ConversationMessages>({
    title: null,
    messages: [],
    loading: id !== null,
    missing: false,
    error: null,
  });

  useEffect(() => {
    if (!id) {
      setState({ title: null, messages: [], loading: false, missing: false, error: null });
      return;
    }
    let active = true;
    type Page = { after: string | null; unsubscribe(): void; result?: OperationResult<WebConversationQuery> };
    const pages: Page[] = [];

    const publish = () => {
      if (!active) return;
      const first = pages[0]?.result;
      const conversation = first?.data?.conversation;
      setState({
        title: conversation?.title ?? null,
        messages: pages.flatMap((page) => page.result?.data?.conversation?.messages.edges.map((edge) => edge.node) ?? []),
        loading: pages.some((page) => !page.result),
        missing: Boolean(first?.data && conversation === null),
        error: pages.find((page) => page.result?.error)?.result?.error ?? null,
      });
    };

    const load = (index: number, after: string | null) => {
      const page: Page = { after, unsubscribe: () => {} };
      pages[index] = page;
      const subscription = client.query(ConversationQuery, { id, first: PAGE_SIZE, after }).subscribe((result) => {
        if (!active || pages[index] !== page) return;
        page.result = result;
        const info = result.data?.conversation?.messages.pageInfo;
        const nextAfter = info?.hasNextPage ? (info.endCursor ?? null) : null;
        const following = pages[index + 1];
        if (following && following.after !== nextAfter) {
          for (const stale of pages.splice(index + 1)) stale.unsubscribe();
        }
        if (nextAfter && !pages[index + 1]) load(index + 1, nextAfter);
        publish();
      });
      page.unsubscribe = () => subscription.unsubscribe();
    };

    load(0, null);
    return () => {
      active = false;
      for (const page of pages) page.unsubscribe();
    };
  }, [client, id]);

  return state;
}
