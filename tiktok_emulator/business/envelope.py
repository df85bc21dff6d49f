"""The API for Business envelope: HTTP 200 with an integer `code`, errors without `data`."""

from __future__ import annotations

from tiktok_emulator.messages import Response, json_response

MESSAGES = {
    0: "OK",
    20001: "Partial success.",
    40001: "No permission to operate this business account.",
    40002: "Invalid parameter.",
    40100: "Too many requests. Please retry in some time.",
    40102: "Access token has expired.",
    40103: "Refresh token has expired.",
    40104: "Access token is empty.",
    40105: "Access token is incorrect or has been revoked.",
    40107: "Refresh token is invalid.",
    40108: "Invalid grant type.",
    40110: "Auth code is invalid, expired or already used.",
    40130: "The scope is not authorized.",
    50000: "System error.",
}


class ApiError(Exception):
    """Ends a call with a non-zero code; `detail` refines the standard message."""

    def __init__(self, code: int, detail: str = ""):
        super().__init__(detail or MESSAGES[code])
        self.code = code


OK = 0
PARTIAL_SUCCESS = 20001


def ok(data: dict, log_id: str, code: object = OK) -> Response:
    """Code 0, or 20001 (TikTok's partial success, with data), or 0 spelt "0" when a test asks."""
    message = MESSAGES[PARTIAL_SUCCESS] if code == PARTIAL_SUCCESS else MESSAGES[OK]
    return json_response(
        200, {"code": code, "message": message, "request_id": log_id, "data": data}, log_id
    )


def failure(error: ApiError, log_id: str) -> Response:
    return json_response(
        200, {"code": error.code, "message": str(error), "request_id": log_id}, log_id
    )


def not_found(log_id: str) -> Response:
    return Response(404, b"Not Found", log_id, content_type="text/plain; charset=utf-8")
