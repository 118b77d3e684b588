"""HTTP to the services: one httpx.Client, bearer token and request id on every call, errors as `ApiError`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
REQUEST_ID_HEADER = "X-Request-Id"
# The platform's paging contract: a list answers one page (``limit``, ``offset``) and counts the items
# of every page in this header.
TOTAL_COUNT_HEADER = "X-Total-Count"
PAGE_SIZE = 500  # the largest page the services give
MAX_PAGE_OFFSET = 1_000_000  # beyond it the services refuse the offset (422)


def make_http_client() -> httpx.Client:
    """The one place an httpx.Client is made; tests replace this factory to put a MockTransport in."""
    return httpx.Client(timeout=DEFAULT_TIMEOUT)


class ApiError(Exception):
    """A call that did not succeed: an error answer, or no answer at all (`status` None)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code
        self.request_id = request_id
        self.payload: Mapping[str, Any] = payload or {}


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: Any  # the decoded JSON body, None when there is none
    text: str
    request_id: str
    headers: httpx.Headers = field(default_factory=httpx.Headers)


def segment(value: str) -> str:
    """One path segment, percent-encoded so that a code or id cannot reach another path."""
    return quote(value, safe="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    data: Mapping[str, str] | None = None,
    content: bytes | Iterable[bytes] | None = None,
    timeout: httpx.Timeout | None = None,
) -> ApiResponse:
    """Send one request with a fresh `X-Request-Id`; translate failures into `ApiError`."""
    request_id = new_request_id()
    all_headers = {REQUEST_ID_HEADER: request_id, "Accept": "application/json", **(headers or {})}
    try:
        response = http.request(
            method,
            url,
            headers=all_headers,
            json=json_body,
            data=data,
            content=content,
            timeout=timeout if timeout is not None else http.timeout,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise ApiError(f"cannot connect to {service} at {_origin(url)}: {_plain(error)}") from error
    except httpx.TimeoutException as error:
        raise ApiError(f"{service} at {_origin(url)} did not answer in time", request_id=request_id) from error
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise ApiError(
            f"request to {service} at {_origin(url)} failed: {_plain(error)}", request_id=request_id
        ) from error
    body = _decode(response)
    if response.is_success:
        return ApiResponse(response.status_code, body, response.text, request_id, response.headers)
    raise _error(response, body, request_id)


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _error(response: httpx.Response, body: Any, request_id: str) -> ApiError:
    """Our services answer {"error", "reason"} (their declared ErrorBody); Keycloak {"error", "error_description"};
    anything else (a proxy's page) by status."""
    payload: Mapping[str, Any] = body if isinstance(body, dict) else {}
    reason = next(
        (payload[key] for key in ("reason", "error_description", "error") if isinstance(payload.get(key), str)),
        None,
    )
    if reason is None:
        snippet = response.text.strip()[:200] if not payload else ""
        reason = f"HTTP {response.status_code} {response.reason_phrase}" + (f": {snippet}" if snippet else "")
    code = payload.get("error")
    return ApiError(
        reason=reason,
        status=response.status_code,
        code=code if isinstance(code, str) else None,
        request_id=response.headers.get(REQUEST_ID_HEADER) or request_id,
        payload=payload,
    )


def _origin(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    if not parsed.scheme or not parsed.host:
        return url
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}"


def _plain(error: Exception) -> str:
    text = str(error)
    return text if text else type(error).__name__


class ApiClient:
    """One service's HTTP API, called with a bearer token from `token` (asked for per request)."""

    def __init__(self, http: httpx.Client, base_url: str, token: Callable[[], str], *, service: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._service = service

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> ApiResponse:
        all_headers = {"Authorization": f"Bearer {self._token()}", **(headers or {})}
        return send(
            self._http,
            method,
            f"{self._base_url}{path}",
            service=self._service,
            headers=all_headers,
            json_body=json_body,
            content=content,
            timeout=timeout,
        )

    def get(self, path: str) -> ApiResponse:
        return self.request("GET", path)

    def post(self, path: str, json_body: Any = None) -> ApiResponse:
        return self.request("POST", path, json_body=json_body)

    def get_every_page(
        self, path: str, items: Callable[[Any], Sequence[Any]], params: Mapping[str, str] | None = None
    ) -> list[ApiResponse]:
        """Every page of a paged list: the first as the service pages it by default, then, while its
        ``X-Total-Count`` says there are more items than received (``items`` of each body), the next
        ones (``offset`` the items received, ``limit`` PAGE_SIZE). An answer without the header is the
        whole list."""
        query = dict(params or {})
        pages = [self.get(f"{path}?{urlencode(query)}" if query else path)]
        received = len(items(pages[0].data))
        total = total_count(pages[-1])
        while total is not None and 0 < received < total and received <= MAX_PAGE_OFFSET:
            query.update(limit=str(PAGE_SIZE), offset=str(received))
            pages.append(self.get(f"{path}?{urlencode(query)}"))
            got = len(items(pages[-1].data))
            if got == 0:
                break  # the list shrank meanwhile
            received += got
        return pages


def total_count(response: ApiResponse) -> int | None:
    """The ``X-Total-Count`` of a paged answer; None when it has none (or not a count)."""
    value = response.headers.get(TOTAL_COUNT_HEADER)
    return int(value) if value is not None and value.isdigit() else None
