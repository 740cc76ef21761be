"""The four actions, from a document and a range to a result: an explanation or edits.

This is the code both the language server and the headless CLI run. It knows nothing of LSP
transport: it takes a document snapshot and returns edits for that snapshot's version.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Any

import attrs
from lsprotocol import types

from chatls import prompts
from chatls.catalog import ACTIONS, ActionRequest, ActionResult, Document
from chatls.config import Settings
from chatls.context import Prompt, build_prompt, diagnostic_info, overlapping
from chatls.docstrings import doc_text, place
from chatls.edits import (
    Region,
    detect_indent_style,
    fit_replacement,
    minimal_edits,
    region_for_selection,
)
from chatls.errors import ExcludedFileError, InvalidRequestError, NoChangeError, ReplyError
from chatls.exclude import excluded_by
from chatls.languages import LanguageSpec, language_for
from chatls.model import ChatReply, ChatRequest, ModelClient
from chatls.replies import answered, extract_code, markdown_answer, parse_json_object
from chatls.syntax import Span, Syntax, python_compiles
from chatls.text import apply_text_edits, dominant_eol, text_index
from chatls.tokens import TokenCounter

log = logging.getLogger(__name__)


_CODE_SCHEMA = {
    "name": "code_edit",
    "schema": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "imports": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["code", "imports"],
        "additionalProperties": False,
    },
}
_DOC_SCHEMA = {
    "name": "doc_comment",
    "schema": {
        "type": "object",
        "properties": {"docstring": {"type": "string"}},
        "required": ["docstring"],
        "additionalProperties": False,
    },
}


Progress = Callable[[str], None]


def display_path(document: Document, root: str | None) -> str:
    path = document.path or document.uri
    if root and document.path:
        try:
            relative = os.path.relpath(document.path, root)
        except ValueError:
            return path
        if not relative.startswith(".."):
            return relative.replace(os.sep, "/")
    return path


@attrs.frozen
class _Target:
    code_start: int
    code_end: int
    scope: Span | None


class _Run:
    """One action on one snapshot."""

    def __init__(
        self, request: ActionRequest, settings: Settings, client: ModelClient, progress: Progress
    ) -> None:
        self.request = request
        self.settings = settings
        self.client = client
        self.progress = progress
        self.info = ACTIONS[request.action]
        document = request.document
        self.index = text_index(document.text, request.encoding)
        self.spec: LanguageSpec = language_for(document.language_id, document.path)
        self.syntax = Syntax(document.text, self.spec)
        overrides = settings.action(request.action)
        self.overrides = overrides
        # A local backend serves exactly one model, whatever the settings name.
        self.model = client.endpoint.model or overrides.model or settings.model
        self.max_tokens = min(
            overrides.max_tokens or settings.max_tokens or self.info.max_tokens,
            settings.context_tokens // 2,
        )
        self.structured = self.info.edits and self._structured()

    def _structured(self) -> bool:
        mode = self.settings.structured_output
        if mode == "off":
            return False
        if mode == "auto" and self.client.endpoint.local:
            # Constrained to a JSON grammar, small local models tend to ramble inside the
            # string until maxTokens (measured with SmolLM2-135M); their free text is usable.
            return False
        return not (mode == "auto" and self.client.refuses(self.model, "response_format"))

    def variables(self, code: str, **extra: Any) -> dict[str, Any]:
        return {
            "language": self.spec.name,
            "language_id": self.spec.id,
            "fence": self.spec.fence,
            "path": display_path(self.request.document, self.request.workspace_root),
            "code": code,
            "structured": self.structured,
            "instruction": self.request.instruction,
            "diagnostics": [],
            "diagnostic": None,
            "kind": "code",
            "name": "",
            "doc_convention": self.spec.doc_convention,
            **extra,
        }

    def prompt(self, target: _Target, extra: dict[str, Any]) -> Prompt:
        text = self.index.text
        code = text[target.code_start : target.code_end]
        fixed = self.variables(code, **extra)

        def render(context: dict[str, Any]) -> list[dict[str, str]]:
            return prompts.messages(
                self.info.id,
                {**fixed, **context},
                self.overrides.system_prompt,
                self.overrides.prompt,
            )

        budget = self.settings.context_tokens - self.max_tokens
        return build_prompt(
            self.syntax,
            target.code_start,
            target.code_end,
            target.scope,
            render,
            TokenCounter(self.model),
            budget,
            f"contextTokens ({self.settings.context_tokens}) minus maxTokens ({self.max_tokens})",
        )

    async def ask(
        self,
        prompt: Prompt,
        schema: dict[str, Any] | None,
        enough: Callable[[str], bool] | None = None,
    ) -> ChatReply:
        settings = self.settings
        temperature = self.overrides.temperature
        request = ChatRequest(
            model=self.model,
            messages=prompt.messages,
            temperature=temperature if temperature is not None else settings.temperature,
            top_p=settings.top_p,
            max_tokens=self.max_tokens,
            stop=list(settings.stop),
            presence_penalty=settings.presence_penalty,
            frequency_penalty=settings.frequency_penalty,
            seed=settings.seed,
            json_schema=schema if self.structured else None,
            enough=None if self.structured else enough,
        )
        self.progress(f"Asking {self.model} ({prompt.tokens} prompt tokens)…")

        def received(chunks: int) -> None:
            self.progress(f"Receiving from {self.model}… {chunks} chunks")

        reply = await self.client.chat(request, received)
        log.debug("%s: reply %r (finish %s)", self.info.id, reply.texts, reply.finish_reasons)
        if reply.usage:
            log.info("%s: usage %s", self.info.id, reply.usage)
        return reply

    def check_finished(self, reply: ChatReply) -> None:
        reason = reply.finish_reasons[0] if reply.finish_reasons else None
        if reason == "length":
            raise ReplyError(
                f"The model's answer was cut off at maxTokens ({self.max_tokens}) and was not "
                "applied. Raise `maxTokens`, or select less code."
            )
        if reason == "content_filter":
            raise ReplyError("The endpoint's content filter withheld the answer; nothing changed.")

    def result(self, start: int, end: int, **fields: Any) -> ActionResult:
        return ActionResult(
            action=self.info.id,
            document=self.request.document,
            range=self.index.range(start, end),
            **fields,
        )

    def _code_span(self, start: int, end: int, what: str) -> tuple[int, int]:
        """The selection, or the enclosing scope when nothing is selected."""
        if self.index.text[start:end].strip():
            return start, end
        scope = self.syntax.enclosing_scope(start, start)
        if scope is None:
            raise InvalidRequestError(
                f"Select the code to {what}: there is no function or class around the cursor."
            )
        return scope.start, scope.end

    async def explain(self, start: int, end: int) -> ActionResult:
        start, end = self._code_span(start, end, "explain")
        target = _Target(start, end, self.syntax.enclosing_scope(start, end))
        found = overlapping(self.index, self.request.diagnostics, start, end)
        prompt = self.prompt(target, {"diagnostics": found})
        reply = await self.ask(prompt, None)
        markdown = markdown_answer(reply.text)
        if not markdown:
            raise ReplyError("The model's answer was empty.")
        if reply.finish_reasons and reply.finish_reasons[0] == "length":
            markdown += f"\n\n*(The answer was cut off at maxTokens = {self.max_tokens}.)*"
        return self.result(start, end, markdown=markdown, prompt_tokens=prompt.tokens)

    async def rewrite(
        self, region: Region, scope: Span | None, extra: dict[str, Any]
    ) -> ActionResult:
        text = self.index.text
        target = _Target(region.start, region.end, scope)
        prompt = self.prompt(target, extra)
        original = text[region.start : region.end]
        reply = await self.ask(prompt, _CODE_SCHEMA, answered(original))
        self.check_finished(reply)
        code, imports = self.parse_code(reply, original)
        if not code.strip():
            raise ReplyError("The model's answer held no code; nothing changed.")
        code = self.drop_duplicate_definitions(code, region)
        fitted = fit_replacement(self.index, region, code)
        edits = minimal_edits(self.index, fitted.region.start, fitted.region.end, fitted.text)
        edits = self.import_edits(imports, fitted.region) + edits
        if not edits:
            raise NoChangeError("The model proposed no change.")
        self.check_syntax(edits)
        return self.result(
            fitted.region.start, fitted.region.end, edits=tuple(edits), prompt_tokens=prompt.tokens
        )

    def drop_duplicate_definitions(self, code: str, region: Region) -> str:
        """Remove definitions the model repeated from elsewhere in the file (or twice)."""
        reply = Syntax(code, self.spec)
        defined = reply.definitions(top_level_only=True)
        if len(defined) < 2:
            return code
        elsewhere: set[str] = set()
        inside: set[str] = set()
        for span in self.syntax.definitions():
            if span.end <= region.start or span.start >= region.end:
                elsewhere.add(span.name)
            elif span.start >= region.start and span.end <= region.end:
                inside.add(span.name)
        seen: set[str] = set()
        drop: list[Span] = []
        for span in defined:
            if span.name in seen or (span.name in elsewhere and span.name not in inside):
                drop.append(span)
            seen.add(span.name)
        for span in reversed(drop):
            end = span.end
            while end < len(code) and code[end] in "\r\n \t":
                end += 1
            start = code.rfind("\n", 0, span.start) + 1
            code = code[:start] + code[end:]
        return code

    def check_syntax(self, edits: list[types.TextEdit]) -> None:
        """Refuse edits that would leave the file with more syntax errors than it has."""
        after_text = apply_text_edits(self.index.text, edits, self.index.encoding)
        # The whole original is compiled only when the result does not compile.
        broken = (
            self.spec.id == "python"
            and not python_compiles(after_text)
            and python_compiles(self.index.text)
        )
        before = self.syntax.error_count()
        if not broken and before is not None:
            after = Syntax(after_text, self.spec).error_count()
            broken = after is not None and after > before
        if broken:
            raise ReplyError(
                f"The model's answer is not valid {self.spec.name} here (it would add syntax "
                "errors), so nothing changed. Try again, or select different code."
            )

    def parse_code(self, reply: ChatReply, original: str) -> tuple[str, list[str]]:
        if reply.structured:
            data = parse_json_object(reply.text)
            if data is not None and isinstance(data.get("code"), str):
                imports = data.get("imports")
                lines = (
                    [i for i in imports if isinstance(i, str)] if isinstance(imports, list) else []
                )
                return extract_code(data["code"], original) if "```" in data["code"] else data[
                    "code"
                ], lines
            log.info("structured reply did not parse; reading it as free text")
        code = extract_code(reply.text, original)
        return self.split_imports(code, original)

    def split_imports(self, code: str, original: str) -> tuple[str, list[str]]:
        """Leading import lines the selection did not have become file-level imports."""
        pattern = re.compile(self.spec.import_line)
        first_own = next((line for line in original.splitlines() if line.strip()), "")
        if pattern.match(first_own) or self.spec.id == "plaintext":
            return code, []
        lines = code.split("\n")
        imports: list[str] = []
        while lines and (pattern.match(lines[0]) or (imports and not lines[0].strip())):
            line = lines.pop(0)
            if line.strip():
                imports.append(line.strip())
        return "\n".join(lines), imports

    def import_edits(self, imports: list[str], region: Region) -> list[types.TextEdit]:
        text = self.index.text
        present = {line.strip() for line in text.splitlines()}
        missing = [line.strip() for line in imports if line.strip() and line.strip() not in present]
        if not missing:
            return []
        spans = self.syntax.header_spans()
        if spans:
            line = self.index.line_of(spans[-1].end) + 1
        else:
            line = 0
            while line < self.index.line_count and self.index.line_text(line).startswith(
                ("#!", "# -*-", "//", "/*", " *", "package ")
            ):
                line += 1
        if line >= self.index.line_count:
            return []
        offset = self.index.line_starts[line]
        if offset > region.start:
            # Imports would land inside the rewritten code; the code already carries them.
            return []
        eol = dominant_eol(text)
        position = self.index.position(offset)
        return [
            types.TextEdit(
                range=types.Range(start=position, end=position),
                new_text="".join(line + eol for line in dict.fromkeys(missing)),
            )
        ]

    async def refactor(self, start: int, end: int) -> ActionResult:
        start, end = self._code_span(start, end, "refactor")
        region = region_for_selection(self.index, start, end)
        scope = self.syntax.enclosing_scope(region.start, region.end)
        return await self.rewrite(region, scope, {"partial": region.partial})

    async def fix(self) -> ActionResult:
        diagnostic = self.request.diagnostic
        if diagnostic is None:
            raise InvalidRequestError("Fix needs the diagnostic to fix.")
        start, end = self.index.span(diagnostic.range)
        span = self.syntax.enclosing_scope(start, end) or self.syntax.top_level_statement(
            start, end
        )
        if span is None:
            span = Span(*self.index.whole_lines(start, end))
        region = region_for_selection(self.index, span.start, span.end)
        if region.partial:
            region = Region(*self.index.whole_lines(region.start, region.end), False)
        outer = self.syntax.enclosing_scope(region.start, region.end)
        return await self.rewrite(
            region,
            outer,
            {"diagnostic": diagnostic_info(self.index, diagnostic)},
        )

    async def docstring(self, start: int, end: int) -> ActionResult:
        definition = self.syntax.definition(start, end)
        if definition is None:
            raise InvalidRequestError(
                "Put the cursor in a function, method or class to document it."
            )
        span = definition.span
        code_start = self.index.line_starts[self.index.line_of(span.start)]
        target = _Target(code_start, span.end, self.syntax.enclosing_scope(span.start, span.end))
        kind = span.kind.replace("_definition", "").replace("_declaration", "").replace("_item", "")
        prompt = self.prompt(target, {"kind": kind.replace("_", " "), "name": span.name})
        reply = await self.ask(prompt, _DOC_SCHEMA)
        self.check_finished(reply)
        lines = doc_text(reply.text, reply.structured)
        placement = place(
            self.index,
            self.spec,
            definition,
            lines,
            dominant_eol(self.index.text),
            detect_indent_style(self.index.text).unit,
        )
        edits = minimal_edits(self.index, placement.start, placement.end, placement.text)
        if not edits:
            raise NoChangeError("The documentation is already what the model proposed.")
        return self.result(
            placement.start, placement.end, edits=tuple(edits), prompt_tokens=prompt.tokens
        )


async def run_action(
    request: ActionRequest,
    settings: Settings,
    client: ModelClient,
    progress: Progress | None = None,
) -> ActionResult:
    """Run one action on a snapshot; raises ``ChatlsError`` with a message for the user."""
    if request.action not in ACTIONS:
        raise InvalidRequestError(f"Unknown action `{request.action}`.")
    document = request.document
    pattern = excluded_by(document.path, request.workspace_root, settings.exclude)
    if pattern is not None:
        raise ExcludedFileError(
            f"chatls does not send {os.path.basename(document.path or document.uri)} to a model: "
            f"it matches the `exclude` pattern `{pattern}`."
        )
    run = _Run(request, settings, client, progress or (lambda message: None))
    start, end = run.index.span(request.range)
    if request.action == "explain":
        return await run.explain(start, end)
    if request.action == "refactor":
        return await run.refactor(start, end)
    if request.action == "fix":
        return await run.fix()
    return await run.docstring(start, end)
