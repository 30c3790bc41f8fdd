import { lazy, Suspense } from 'react';

const Markdown = lazy(() => import('./Markdown'));

/** Markdown once its renderer has loaded (a few milliseconds after the app); the plain text until then. */
export function LazyMarkdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<div className="markdown plain">{text}</div>}>
      <Markdown text={text} />
    </Suspense>
  );
}
