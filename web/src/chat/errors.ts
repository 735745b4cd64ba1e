// Errors. Stream answers every failure with an `APIError` body (shared/protocol-notes.md §3):
// `{code, message, StatusCode, duration, more_info, details, exception_fields?, unrecoverable?}`. Clients branch
// on `code` (a token is refreshed only on 40), so the code is the first thing the UI should look at.

/** The `APIError` body as it arrives on the wire (also the `error` of a `connection.error` frame). */
export interface StreamErrorBody {
  code: number;
  message: string;
  StatusCode: number;
  duration?: string;
  more_info?: string;
  details?: number[];
  exception_fields?: Record<string, string>;
  unrecoverable?: boolean;
}

/** Error codes the client reacts to. */
export const ErrorCodes = {
  inputError: 4,
  notAllowed: 17,
  tokenExpired: 40,
  rateLimited: 9,
  doesNotExist: 16,
} as const;

export class StreamError extends Error {
  override readonly name = 'StreamError';
  readonly code: number;
  readonly statusCode: number;
  readonly duration?: string;
  readonly moreInfo?: string;
  readonly exceptionFields?: Record<string, string>;

  constructor(fields: {
    code: number;
    message: string;
    statusCode: number;
    duration?: string;
    moreInfo?: string;
    exceptionFields?: Record<string, string>;
  }) {
    super(fields.message);
    this.code = fields.code;
    this.statusCode = fields.statusCode;
    if (fields.duration !== undefined) this.duration = fields.duration;
    if (fields.moreInfo !== undefined) this.moreInfo = fields.moreInfo;
    if (fields.exceptionFields !== undefined) this.exceptionFields = fields.exceptionFields;
  }

  /** Code 40: the token expired or was revoked; the only code after which a fresh token helps. */
  get isTokenExpired(): boolean {
    return this.code === ErrorCodes.tokenExpired;
  }

  /** From a parsed body; a body that is not an `APIError` (a proxy's HTML page) still yields an error. */
  static fromBody(body: unknown, httpStatus: number): StreamError {
    if (isErrorBody(body)) {
      return new StreamError({
        code: body.code,
        message: body.message,
        statusCode: typeof body.StatusCode === 'number' ? body.StatusCode : httpStatus,
        ...(body.duration !== undefined && { duration: body.duration }),
        ...(body.more_info !== undefined && { moreInfo: body.more_info }),
        ...(body.exception_fields !== undefined && { exceptionFields: body.exception_fields }),
      });
    }
    return new StreamError({ code: -1, message: `HTTP ${httpStatus} without an API error body`, statusCode: httpStatus });
  }
}

/** The request never got an answer (offline, DNS, connection reset, CORS). Safe to retry idempotent calls. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function isErrorBody(body: unknown): body is StreamErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const fields = body as Record<string, unknown>;
  return typeof fields.code === 'number' && typeof fields.message === 'string';
}
