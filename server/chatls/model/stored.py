"""Stored completions on the backend (``store``): listed, shown, deleted, and tagged with how the
action ended, through the SDK's ``chat.completions`` endpoints. A backend without them gets one
message saying so."""

from __future__ import annotations

from typing import Any

from chatls.errors import ModelError
from chatls.model import failures
from chatls.model.client import ModelClient

OUTCOME_KEY = "chatls_outcome"


async def _call(client: ModelClient, what: str, call: Any) -> Any:
    import openai

    try:
        return await call
    except openai.NotFoundError:
        raise ModelError(
            "not_found",
            f"{client.endpoint.base_url} does not offer stored completions (404), or does not "
            f"have this one: could not {what}.",
        ) from None
    except openai.APIError as error:
        raise failures.map_error(error, client.endpoint, "") from None


async def set_outcome(client: ModelClient, completion_id: str, outcome: str) -> None:
    """Add the outcome to the completion's metadata, keeping what it was tagged with."""
    chat = client.sdk().chat.completions
    stored = await _call(client, "read the completion", chat.retrieve(completion_id))
    metadata = dict(getattr(stored, "metadata", None) or {})
    metadata[OUTCOME_KEY] = outcome
    await _call(client, "update its metadata", chat.update(completion_id, metadata=metadata))


async def list_stored(client: ModelClient, limit: int) -> list[dict[str, Any]]:
    page = await _call(
        client, "list them", client.sdk().chat.completions.list(limit=limit, order="desc")
    )
    return [item.model_dump() for item in page.data]


async def show_stored(client: ModelClient, completion_id: str) -> dict[str, Any]:
    chat = client.sdk().chat.completions
    stored = await _call(client, "read it", chat.retrieve(completion_id))
    messages = await _call(client, "read its messages", chat.messages.list(completion_id))
    shown: dict[str, Any] = stored.model_dump()
    shown["messages"] = [message.model_dump() for message in messages.data]
    return shown


async def delete_stored(client: ModelClient, completion_id: str) -> bool:
    deleted = await _call(client, "delete it", client.sdk().chat.completions.delete(completion_id))
    return bool(getattr(deleted, "deleted", False))
