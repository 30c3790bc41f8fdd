import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sends an explorer page. The page is tiny and names its scripts and styles by
 * versioned URL, so it is never cached: a new gateway's page brings the new
 * assets at once.
 */
export function sendHtmlPage(req: IncomingMessage, res: ServerResponse, html: string, contentSecurityPolicy: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': contentSecurityPolicy,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
