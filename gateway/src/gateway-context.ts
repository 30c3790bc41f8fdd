import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';

export interface GatewayContext {
  viewer: Viewer | null;
  /** Forwarded verbatim so every subgraph verifies the token again (zero trust). */
  authorization: string | undefined;
  requestId: string;
  logger: Logger;
  userAgent?: string | undefined;
  /** The caller's address (libs/auth `clientAddress`, the gateway's TRUSTED_PROXIES), sent on to the subgraphs as X-Forwarded-For. */
  clientAddress?: string | undefined;
  /** Set on the gateway's own follow-up operations (built at run time), which trusted-documents mode lets through. */
  internal?: boolean;
}
