// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { I18nProvider } from '../../src/i18n/i18n';
import Markdown, { safeUrl } from '../../src/markdown/Markdown';

afterEach(cleanup);

const renderMarkdown = (text: string) =>
  render(
    <I18nProvider>
      <Markdown text={text} />
    </I18nProvider>,
  ).container;

/** Every attribute of every element, to look for anything that could run. */
const attributes = (root: Element) =>
  [...root.querySelectorAll('*')].flatMap((element) => [...element.attributes].map((a) => [a.name, a.value]));

describe('Markdown rendering', () => {
  it('renders GFM tables, lists and highlighted code with a copy button', () => {
    const root = renderMarkdown('| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n```js\nconst x = 1;\n```');
    expect(root.querySelector('table td')?.textContent).toBe('1');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    expect(root.querySelector('pre code.language-js .hljs-keyword')?.textContent).toBe('const');
    expect(root.querySelector('.copy-code')).not.toBeNull();
  });

  it('shows raw HTML as text and never creates script, iframe or event-handler attributes', () => {
    const hostile = [
      '<script>window.pwned = 1</script>',
      '<img src=x onerror="window.pwned = 1">',
      '<iframe src="https://evil.example"></iframe>',
      '<a href="javascript:alert(1)" onclick="alert(1)">click</a>',
      '<svg onload="alert(1)"></svg>',
    ].join('\n\n');
    const root = renderMarkdown(hostile);
    expect(root.querySelector('script, iframe, svg, img, object, embed, style')).toBeNull();
    expect(attributes(root).filter(([name]) => name!.startsWith('on'))).toEqual([]);
    expect(root.textContent).toContain('<script>');
  });

  it('makes javascript:, data: and vbscript: links inert and opens safe links without opener or referrer', () => {
    const root = renderMarkdown(
      '[a](javascript:alert(1)) [b](data:text/html,<script>alert(1)</script>) [c](vbscript:msgbox) [d](JaVaScRiPt:alert(1)) [e](https://example.com)',
    );
    const hrefs = [...root.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs.filter((href) => href && !href.startsWith('https:'))).toEqual([]);
    const safe = root.querySelector('a[href="https://example.com"]')!;
    expect(safe.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(safe.getAttribute('target')).toBe('_blank');
  });

  it('shows images as links, so nothing loads from an address a model wrote', () => {
    const root = renderMarkdown('![tracker](https://evil.example/pixel.png)');
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('a')?.getAttribute('href')).toBe('https://evil.example/pixel.png');
  });

  it('renders a huge code block as plain text without highlighting it', () => {
    const code = 'x = 1\n'.repeat(20_000);
    const root = renderMarkdown('```python\n' + code + '```');
    expect(root.querySelector('pre code')?.textContent?.length).toBe(code.length);
    expect(root.querySelector('.hljs-number')).toBeNull();
  });

  it('keeps only http(s), mailto and relative URLs', () => {
    expect(safeUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(safeUrl('mailto:a@example.com')).toBe('mailto:a@example.com');
    expect(safeUrl('#part')).toBe('#part');
    expect(safeUrl('javascript:alert(1)')).toBe('');
    expect(safeUrl('ftp://x')).toBe('');
  });
});
