import { errorFormats } from '../codes';
import type { ParleyError } from '../parley-error';
import { publicDetails } from './graphql';

/** The plain JSON answer of a service's own HTTP routes (not GraphQL, REST or /v1): `{ error: "not_found", message, ...details }`. */
export interface HttpErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

/** A ParleyError as a service's HTTP shell and internal routes answer it (the table's `status` and `http` columns). */
export function toHttpError(error: ParleyError): { status: number; body: HttpErrorBody } {
  const { status, http } = errorFormats[error.code];
  return { status, body: { error: http, message: error.message, ...publicDetails(error.details) } };
}
