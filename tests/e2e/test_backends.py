"""The backend matrix's scripted rows: every feature over LSP against the scripted backend
playing each documented OpenAI-compatible server (``PROFILES``), one chatls session per server
as a user has it. Every feature must come back right, each refusal must be adapted to with one
request and remembered, and a 500 refusal must not be retried."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from chatls_testing.matrix import FEATURES, Cell, Options, ScriptedModel, run_matrix
from chatls_testing.scripted_backend import PROFILES, ScriptedBackend

# The refusals each server's profile must make chatls adapt to, and where they first show.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "openai": {},
    "openai-reasoning": {
        "explain": ["max_tokens→max_completion_tokens (400)", "−temperature (400)"],
        "inline": ["−logprobs (400)"],
    },
    "azure": {
        "explain": ["−stream_options (400)", "−prompt_cache_key (400)"],
        "docstring": ["json_schema→json_object (400)"],
    },
    "ollama": {},
    "ollama-no-tools": {"explain": ["−tools (400)"]},
    "vllm": {"explain": ["−tools (400)"]},
    "lmstudio": {"tools": ['content null→"" (400)']},
    "llama-cpp-python": {
        "docstring": ["json_schema→json_object (500)"],
        "overflow": ["empty stream→not streamed"],
    },
}


def _run(profile: str, root: Path) -> dict[str, Cell]:
    backend = ScriptedBackend()
    model = ScriptedModel()
    backend.profile = PROFILES[profile]
    backend.responder = model
    backend.start()
    try:
        options = Options(scripted=model, timeout=20, overflow_functions=400)
        return asyncio.run(run_matrix(backend.url, root, options, root / "chatls.log"))
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Cell]]:
    return {name: _run(name, tmp_path_factory.mktemp(name)) for name in PROFILES}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_feature_works_against_the_server(
    results: dict[str, dict[str, Cell]], profile: str
) -> None:
    cells = results[profile]
    assert list(cells) == list(FEATURES)
    wrong = {f: (c.text(), c.detail) for f, c in cells.items() if c.status != "ok"}
    assert not wrong, wrong


@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_refusal_is_adapted_to_once_where_it_first_shows(
    results: dict[str, dict[str, Cell]], profile: str
) -> None:
    cells = results[profile]
    adapted = {
        feature: [part for part in cell.note.split(", ") if "→" in part or part.startswith("−")]
        for feature, cell in cells.items()
    }
    seen = {feature: notes for feature, notes in adapted.items() if notes}
    assert seen == EXPECTED[profile]
    # Remembered: no parameter is refused twice in the session.
    counts = Counter(note for notes in adapted.values() for note in notes)
    assert all(count == 1 for count in counts.values()), counts


def test_a_500_refusal_costs_one_request_not_the_sdks_retries(
    results: dict[str, dict[str, Cell]],
) -> None:
    # llama-cpp-python's 500 for json_schema, with maxRetries 2: the refused request and the
    # one in JSON mode, nothing more.
    assert results["llama-cpp-python"]["docstring"].requests == 2


def test_tools_are_looked_up_where_the_server_streams_calls(
    results: dict[str, dict[str, Cell]],
) -> None:
    # OpenAI's pieces, Ollama's whole calls without an index, Azure's filter chunks between.
    for profile in ("openai", "azure", "ollama", "lmstudio"):
        assert "1 lookup" in results[profile]["tools"].note, profile
    for profile in ("vllm", "ollama-no-tools"):
        assert "not offered" in results[profile]["tools"].note, profile


def test_a_prompt_over_the_context_is_built_again_smaller(
    results: dict[str, dict[str, Cell]],
) -> None:
    for profile in ("openai", "azure", "vllm", "lmstudio", "llama-cpp-python"):
        assert "sent again at" in results[profile]["overflow"].note, profile
    assert "server cut it" in results["ollama"]["overflow"].note
