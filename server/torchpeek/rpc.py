"""Requests that fail to parse still get an answer: ``InvalidParams`` with the request's id.

pygls turns a request whose params do not match the LSP types (a hover at
line ``-1``, ``1.5``, ``null`` or past 2**31) into an exception before any
handler runs, and the client then waits forever. This protocol answers such
a request with an error instead, so an editor never hangs on one.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


def _request_id(data: dict[str, Any]) -> int | str | None:
    ident = data.get("id")
    if isinstance(ident, bool) or not isinstance(ident, (int, str)):
        return None
    return ident


def _positions_are_integers(params: Any) -> bool:
    """A ``position`` in the params has integer line and character (1.5 is not rounded)."""
    position = params.get("position") if isinstance(params, dict) else None
    if not isinstance(position, dict):
        return True  # absent or malformed: the LSP types reject it
    return all(
        type(position.get(key)) is int and position[key] >= 0 for key in ("line", "character")
    )


class TorchpeekProtocol(LanguageServerProtocol):
    """The LSP protocol, plus an error answer for requests whose params do not parse."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            if "jsonrpc" in data and not _positions_are_integers(data.get("params")):
                raise JsonRpcInvalidParams("a position is not a pair of non-negative integers")
            return super().structure_message(data)
        except JsonRpcException as error:
            ident = _request_id(data)
            if "method" not in data or ident is None:
                raise
            invalid = JsonRpcInvalidParams(
                f"invalid params for {str(data.get('method'))[:80]}: they do not match the LSP types"
            )
            log.warning("answering request %r: %s (%s)", ident, invalid.message, error)
            self._send_response(
                ident, error=ResponseError(code=invalid.code, message=invalid.message)
            )
            raise  # and pygls reports the bad message as it always has
