"""Fill-in-the-middle: the code before and after the cursor in a coder model's own FIM tokens,
sent as a plain prompt to the completions endpoint (``/v1/completions``), which llama.cpp,
vLLM, Ollama and LM Studio serve. The model writes what goes between, with no instructions to
follow and nothing to echo."""

from __future__ import annotations

import re

import attrs

REFUSED = "fill-in-the-middle"
"""Remembered in the client's adaptations for a model whose backend refused the completions
endpoint: its completions go through chat from then on."""


@attrs.frozen
class FimFormat:
    name: str
    prefix: str
    suffix: str
    middle: str
    stops: tuple[str, ...] = ()
    """Text that ends the middle when a backend shows special tokens rather than stopping."""

    def prompt(self, prefix: str, suffix: str) -> str:
        """Prefix, suffix, middle (PSM): the order these models were trained with."""
        return f"{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}"


QWEN = FimFormat(
    "qwen",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    ("<|endoftext|>", "<|file_sep|>", "<|fim_pad|>"),
)
"""Qwen2.5-Coder and Qwen3-Coder (their model cards); CodeGemma uses the same tokens."""
STARCODER = FimFormat(
    "starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", ("<|endoftext|>", "<file_sep>")
)
DEEPSEEK = FimFormat(
    "deepseek", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", ("<｜end▁of▁sentence｜>",)
)
CODELLAMA = FimFormat("codellama", "<PRE> ", " <SUF>", " <MID>", ("<EOT>",))

_BY_NAME = (
    (re.compile(r"qwen[\w.-]*coder|codegemma", re.IGNORECASE), QWEN),
    (re.compile(r"starcoder|santacoder", re.IGNORECASE), STARCODER),
    (re.compile(r"deepseek[\w.-]*coder", re.IGNORECASE), DEEPSEEK),
    (re.compile(r"code-?llama", re.IGNORECASE), CODELLAMA),
)


def detect(model: str) -> FimFormat | None:
    """The FIM format a model's name says it was trained with (the file name of a GGUF, an
    Ollama tag, a Hugging Face id), or None."""
    name = model.rsplit("/", 1)[-1]
    for pattern, found in _BY_NAME:
        if pattern.search(name):
            return found
    return None


def format_for(model: str, setting: str) -> FimFormat | None:
    """The format to use for ``model`` under ``inlineCompletion.fim``, or None for chat."""
    if setting == "off":
        return None
    found = detect(model)
    if found is None and setting == "on":
        return QWEN
    return found


def stops(fim: FimFormat, single_line: bool) -> list[str]:
    """Stop sequences: the end of the line when only the rest of the line fits there, else a
    run of blank lines; and the format's own end markers (four at most, OpenAI's limit)."""
    return (["\n"] if single_line else ["\n\n\n"]) + list(fim.stops)[:3]


def header_and_prefix(header: str, prefix: str) -> str:
    """The code before the cursor, after the file's imports when the window starts below them
    (the same header the chat prompt shows): a FIM model reads it as the file's top."""
    if not header.strip():
        return prefix
    return f"{header.rstrip()}\n\n{prefix}"
