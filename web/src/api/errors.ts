/** What a failed API call becomes: the API's error code and its human-readable reason. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server was not reached. */
    readonly status: number,
    /** The API's error code (`not_found`, `permission_denied`, …) or `network`. */
    readonly code: string,
    /** The API's `reason`, meant to be shown to the user. */
    readonly reason: string,
    readonly requestId: string | null = null,
    /** The body's other fields, e.g. `row_errors` of a refused household file, `details` of a 422. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${status} ${code}: ${reason}`)
    this.name = 'ApiError'
  }

  get isNetwork(): boolean {
    return this.status === 0
  }

  get isNotFound(): boolean {
    return this.status === 404
  }
}

interface ErrorBody {
  error?: unknown
  reason?: unknown
  request_id?: unknown
}

/** The ApiError of a non-2xx response; tolerant of bodies that are not the platform's JSON. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  let body: ErrorBody = {}
  try {
    const parsed: unknown = await response.json()
    if (parsed && typeof parsed === 'object') body = parsed as ErrorBody
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the status.
  }
  const code = typeof body.error === 'string' ? body.error : `http_${response.status}`
  const reason =
    typeof body.reason === 'string' && body.reason
      ? body.reason
      : response.statusText || `HTTP ${response.status}`
  const requestId =
    typeof body.request_id === 'string' ? body.request_id : response.headers.get('x-request-id')
  const { error: _error, reason: _reason, request_id: _requestId, ...details } = body as Record<string, unknown>
  return new ApiError(response.status, code, reason, requestId, details)
}
