import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { useMutation, useQuery } from 'urql';
import { DeleteConversationMutation, RenameConversationMutation, ConversationsQuery } from '../api/operations';
import { conversationPath, navigate } from '../app/router';
import { useI18n } from '../i18n/i18n';
import { ConfirmDialog } from '../ui/ConfirmDialog';

const PAGE_SIZE = 30;
const SEARCH_DELAY_MS = 250;

/**
 * The user's conversations, most recently updated first (best match first
 * when searching), a page at a time: each page is its own cached query, and
 * the next one is asked for when the end of the list scrolls into view.
 */
export function ConversationList({ searchRef, activeId }: { searchRef: RefObject<HTMLInputElement | null>; activeId: string | null }) {
  const { t } = useI18n();
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const searchId = useId();

  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  useEffect(() => setCursors([null]), [search]);

  return (
    <div className="conversation-list">
      <label htmlFor={searchId} className="visually-hidden">
        {t('conversations.search')}
      </label>
      <input
        id={searchId}
        ref={searchRef}
        type="search"
        className="search"
        placeholder={t('conversations.searchPlaceholder')}
        value={typed}
        maxLength={200}
        onChange={(event) => setTyped(event.target.value)}
      />
      <ul aria-label={search ? t('conversations.results') : t('conversations.title')}>
        {cursors.map((after, index) => (
          <ConversationPage
            key={`${search}:${after ?? ''}`}
            after={after}
            search={search}
            activeId={activeId}
            isLast={index === cursors.length - 1}
            onMore={(cursor) => setCursors((list) => (list.includes(cursor) ? list : [...list, cursor]))}
          />
        ))}
      </ul>
    </div>
  );
}

function ConversationPage({
  after,
  search,
  activeId,
  isLast,
  onMore,
}: {
  after: string | null;
  search: string;
  activeId: string | null;
  isLast: boolean;
  onMore(cursor: string): void;
}) {
  const { t } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: ConversationsQuery,
    variables: { first: PAGE_SIZE, after, ...(search ? { search } : {}) },
  });
  const sentinel = useRef<HTMLLIElement>(null);
  const page = data?.conversations;
  const next = page?.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;

  useEffect(() => {
    const element = sentinel.current;
    if (!element || !next || !isLast) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) onMore(next);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [next, isLast, onMore]);

  if (error && !page) {
    return (
      <li className="error" role="alert">
        {error.message}
      </li>
    );
  }
  if (!page) return fetching ? <li className="muted">{t('app.loading')}</li> : null;
  if (after === null && page.edges.length === 0) {
    return <li className="muted">{search ? t('conversations.noMatch') : t('conversations.none')}</li>;
  }
  return (
    <>
      {page.edges.map(({ node }) => (
        <ConversationItem key={node.id} id={node.id} title={node.title} active={node.id === activeId} />
      ))}
      {next && isLast && (
        <li ref={sentinel} className="muted">
          <button type="button" className="link" onClick={() => onMore(next)}>
            {t('conversations.more')}
          </button>
        </li>
      )}
    </>
  );
}

function ConversationItem({ id, title, active }: { id: string; title: string; active: boolean }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [, rename] = useMutation(RenameConversationMutation);
  const [, remove] = useMutation(DeleteConversationMutation);

  const save = async (value: string) => {
    setEditing(false);
    const next = value.trim();
    if (!next || next === title) return;
    const result = await rename({ id, title: next });
    setError(result.error ? (result.error.graphQLErrors[0]?.message ?? result.error.message) : null);
  };

  return (
    <li className={`conversation${active ? ' active' : ''}`}>
      {editing ? (
        <input
          className="rename"
          aria-label={t('conversations.renameLabel')}
          defaultValue={title}
          maxLength={200}
          autoFocus
          onBlur={(event) => void save(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') void save(event.currentTarget.value);
            if (event.key === 'Escape') setEditing(false);
          }}
        />
      ) : (
        <a
          href={conversationPath(id)}
          aria-current={active ? 'page' : undefined}
          onClick={(event) => {
            event.preventDefault();
            navigate(conversationPath(id));
          }}
        >
          {title}
        </a>
      )}
      <span className="row-actions">
        <button type="button" className="icon" onClick={() => setEditing(true)} aria-label={t('conversations.rename', { title })}>
          ✎
        </button>
        <button type="button" className="icon" onClick={() => setConfirming(true)} aria-label={t('conversations.delete', { title })}>
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
            <path d="M6 2h4l1 1h3v2H2V3h3zM3 6h10l-1 9H4z" fill="currentColor" />
          </svg>
        </button>
      </span>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
      {confirming && (
        <ConfirmDialog
          title={t('conversations.deleteTitle')}
          message={t('conversations.deleteMessage', { title })}
          confirmLabel={t('conversations.deleteConfirm')}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            setConfirming(false);
            const result = await remove({ id });
            if (result.error) setError(result.error.message);
            else if (active) navigate('/', { replace: true });
          }}
        />
      )}
    </li>
  );
}
