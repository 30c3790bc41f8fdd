import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';

export interface GatewayContext {
  viewer: Viewer | null;
  /** Forwarded verbatim so every subgraph verifies the token again (zero trust). */
  authorization: string | undefined;
  requestId: string;
  logger: Logger;
  userAgent?: string | undefined;
  /** X-Forwarded-For as the subgraphs should see it (ending with the caller's address). */
  clientAddress?: string | undefined;
  /** Set on the gateway's own follow-up operations (built at run time), which trusted-documents mode lets through. */
  internal?: boolean;
}
