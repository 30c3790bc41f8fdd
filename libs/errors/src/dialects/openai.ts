import { ErrorCode, errorFormats } from '../codes';
import {
  BadUserInputError,
  BudgetExceededError,
  ContentBlockedError,
  InternalServerError,
  OverloadedError,
  type ParleyError,
  RateLimitedError,
  UpstreamUnavailableError,
} from '../parley-error';

/** An error answer in OpenAI's shape, which the official SDKs turn into their typed errors by status. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIError {
  status: number;
  body: OpenAIErrorBody;
}

/**
 * Parley's codes as OpenAI's API spells them (the table's `openai` column).
 * `param` is the error's `field`; its `code` detail, when set (a string, or
 * null), is a finer OpenAI code than the table's (`model_not_found`,
 * `context_length_exceeded`).
 */
export function toOpenAIError(error: ParleyError): OpenAIError {
  const { status, type, code } = errorFormats[error.code].openai;
  const field = typeof error.details['field'] === 'string' ? error.details['field'] : null;
  const finer = error.details['code'];
  const specific =
    typeof finer === 'string' || finer === null
      ? finer
      : error.code === ErrorCode.BAD_USER_INPUT && field === 'model'
        ? 'model_not_found'
        : code;
  return { status, body: { error: { message: error.message, type, param: field, code: specific } } };
}

/** An error answer that came without OpenAI's shape, given it by its status alone (as the SDKs classify it). */
export function openAIErrorForStatus(status: number, message: string): OpenAIError {
  return { status, body: { error: { message, type: status >= 500 ? 'api_error' : 'invalid_request_error', param: null, code: null } } };
}

/**
 * An OpenAI-style error answer, as the `openai` SDK's `APIError` carries it:
 * the status (none for an error sent mid-stream), the body's `error` member,
 * and the SDK's own message for when the body has none.
 */
export interface OpenAIErrorAnswer {
  status?: number | undefined;
  error?: unknown;
  message?: string;
}

/**
 * The inverse, for a Parley service calling an OpenAI-compatible one (chat
 * calling models): its refusal as the ParleyError to report to our own
 * client. Budget, moderation and overload refusals keep their codes; a 429 is
 * RATE_LIMITED and a 5xx UPSTREAM_UNAVAILABLE (both retriable); a 400 or 404
 * is the user's input (an unknown model, a prompt too long); anything else,
 * such as a 401 for our own credential or an error without a status, is a
 * failure of ours.
 */
export function fromOpenAIError(answer: OpenAIErrorAnswer): ParleyError {
  const inner = (typeof answer.error === 'object' && answer.error !== null ? answer.error : {}) as { message?: unknown; code?: unknown };
  const message =
    typeof inner.message === 'string' ? inner.message : (answer.message ?? `The service answered ${answer.status ?? 'without a status'}.`);
  const { status } = answer;
  if (inner.code === errorFormats.BUDGET_EXCEEDED.openai.code) return new BudgetExceededError(message);
  if (inner.code === errorFormats.CONTENT_BLOCKED.openai.code) return new ContentBlockedError(message);
  if (inner.code === errorFormats.OVERLOADED.openai.code) return new OverloadedError(message);
  if (status === errorFormats.RATE_LIMITED.openai.status) return new RateLimitedError(message);
  if (status !== undefined && status >= 500) return new UpstreamUnavailableError(message);
  if (status === 400 || status === 404) return new BadUserInputError(message);
  return new InternalServerError(message);
}
