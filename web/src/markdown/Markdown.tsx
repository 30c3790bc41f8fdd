import { useRef, useState, type ComponentProps, type ReactNode } from 'react';
import ReactMarkdown, { defaultUrlTransform, type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';
import { useI18n } from '../i18n/i18n';

/**
 * A reply (or question) as Markdown, safely: GitHub-flavoured tables, lists
 * and fenced code (highlighted when it names its language), but raw HTML is
 * shown as text, never parsed, and a link or image may only point at http(s)
 * or mailto. Images are shown as links (nothing loads from a URL a model
 * wrote); links open in a new tab without a referrer or an opener.
 *
 * Loaded lazily (see LazyMarkdown): the parser and the grammars are the
 * largest part of the client and not needed to sign in or list chats.
 */

/** Code longer than this is shown without highlighting: highlighting it would freeze the page for little gain. */
const MAX_HIGHLIGHTED_CODE = 20_000;
const SAFE_URL = /^(https?:|mailto:)/i;

export function safeUrl(url: string): string {
  const transformed = defaultUrlTransform(url);
  // Relative links (e.g. "#section") stay; anything with another scheme becomes inert.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(transformed)) return transformed;
  return SAFE_URL.test(transformed) ? transformed : '';
}

function CodeBlock({ children, ...props }: ComponentProps<'pre'>) {
  const ref = useRef<HTMLPreElement>(null);
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(ref.current?.innerText ?? '');
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="code-block">
      <button type="button" className="copy-code" onClick={() => void copy()} aria-label={t('markdown.copyCode')}>
        {copied ? t('markdown.copied') : t('markdown.copy')}
      </button>
      <pre ref={ref} {...props}>
        {children}
      </pre>
    </div>
  );
}

const components: Components = {
  pre: ({ node: _node, ...props }) => <CodeBlock {...props} />,
  a: ({ node: _node, href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ node: _node, src, alt }) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow">
        {alt || src}
      </a>
    ) : null,
};

export default function Markdown({ text }: { text: string }): ReactNode {
  const longCode = text.length > MAX_HIGHLIGHTED_CODE;
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={longCode ? [] : [[rehypeHighlight, { detect: false, ignoreMissing: true }]]}
        components={components}
        skipHtml={false}
        urlTransform={safeUrl}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
