"""Neovim 0.11 (the real binary, headless) with the shipped clients/neovim configuration and
plugin, against the chatls executable and the scripted backend.

Each test runs a Lua scenario (``H`` is tests/editors/nvim_harness.lua) that drives Nvim the
way a user does and records what Nvim ended up with; the assertions stay here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chatls_testing.samples import PY
from chatls_testing.scripted_backend import Chat, Error, Hang, Recorded, Response
from tests.conftest import SECRET
from tests.editors.conftest import Neovim, default_settings

FIXED_TOTAL = (
    "def total(items):\n    result = 0\n    for item in items:\n"
    "        result += item\n    return result\n"
)

# Multi-byte characters before the selection: utf-8 and utf-16 columns differ on this line.
MULTIBYTE = 's = "naïve 😀"; total = sum_all(a, b)\nx = "é"; y = max(a, b)\n'


def utf8_column(line: str, text: str) -> int:
    return len(line[: line.index(text)].encode("utf-8"))


def test_edit_code_actions_are_resolved_and_applied(nvim: Neovim) -> None:
    nvim.backend.script(
        Chat(f"```python\n{FIXED_TOTAL}```"),
        Chat("```python\nreturn math.pi * r ** 2\n```"),
        Chat("Sum the items."),
    )
    run = nvim.run(
        """
        H.open('a.py')
        -- Fix: Nvim sends only its own diagnostics by itself, so the context carries one.
        H.code_action('quickfix.chatls.fix', {
          range = { start = { 11, 17 }, ['end'] = { 11, 29 } },
          context = { diagnostics = { {
            range = { start = { line = 10, character = 17 }, ['end'] = { line = 10, character = 30 } },
            message = 'Consider using augmented assignment',
            source = 'pylint',
            code = 'R1714',
            severity = 2,
          } } },
        })
        H.until_progress_ended(1)
        H.note('after_fix', H.text())
        H.code_action('refactor.rewrite.chatls.refactor', {
          range = { start = { 5, 0 }, ['end'] = { 5, 25 } },
        })
        H.until_progress_ended(2)
        H.note('after_refactor', H.text())
        -- Generate docstring at the cursor, without a range.
        vim.api.nvim_win_set_cursor(0, { 10, 4 })
        H.code_action('refactor.rewrite.chatls.docstring')
        H.until_progress_ended(3)
        H.note('after_docstring', H.text())
        """,
        {"a.py": PY},
    )
    after_fix = PY.replace("result = result + item", "result += item")
    assert run.notes["after_fix"] == after_fix
    after_refactor = after_fix.replace("r * r", "r ** 2")
    assert run.notes["after_refactor"] == after_refactor
    assert run.notes["after_docstring"] == after_refactor.replace(
        "def total(items):\n", 'def total(items):\n    """Sum the items."""\n'
    )
    # Nvim resolved each action to an edit and applied it itself: the server sent no
    # workspace/applyEdit.
    assert run.out["server_edits"] == 0
    # Each progress title names what the action works on.
    assert [p["title"] for p in run.progress("begin")] == [
        "chatls: Fix: line 11",
        "chatls: Refactor: line 5",
        "chatls: Generate docstring: `total`",
    ]
    assert all(p["cancellable"] for p in run.progress("begin"))
    assert [p["message"] for p in run.progress("end")] == ["Done", "Done", "Done"]
    assert run.messages() == []
    fix_prompt = nvim.backend.requests[0].prompt
    assert "Consider using augmented assignment" in fix_prompt and "R1714" in fix_prompt
    assert "return math.pi * r * r" in nvim.backend.requests[1].prompt
    assert len(nvim.backend.requests) == 3


def test_explain_code_action_opens_a_float_and_leaves_a_hover(nvim: Neovim) -> None:
    nvim.backend.script(Chat("Computes the **area** of a circle."))
    run = nvim.run(
        """
        H.open('a.py')
        vim.lsp.buf.code_action({
          range = { start = { 5, 4 }, ['end'] = { 5, 25 } },
          filter = function(a) return a.kind == 'refactor.chatls.explain' end,
          apply = true,
        })
        H.note('float', H.until_float('Explain'))
        H.until_progress_ended(1)
        H.close_floats()
        -- The explanation is now chatls's hover over the explained code.
        vim.api.nvim_win_set_cursor(0, { 5, 12 })
        vim.lsp.buf.hover()
        H.note('hover_float', H.until_float('hover'))
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["float"] == ["Computes the **area** of a circle."]
    assert run.notes["hover_float"] == ["Computes the **area** of a circle."]
    assert run.notes["text"] == PY
    # The plugin runs the action's command quietly: the float replaces the message.
    assert run.messages() == []
    assert [p["title"] for p in run.progress("end")] == ["chatls: Explain: line 5"]
    assert "return math.pi * r * r" in nvim.backend.requests[0].prompt


def test_explain_command_on_visual_selections(nvim: Neovim) -> None:
    nvim.backend.script(Chat("Adds a and b."), Chat("The larger one."))
    run = nvim.run(
        r"""
        H.open('m.py')
        -- A charwise selection, then `:'<,'>ChatlsExplain` as typed after `:` in visual mode.
        local line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
        local s = line:find('sum_all', 1, true) - 1
        H.select('v', { 1, s }, { 1, s + #'sum_all(a, b)' - 1 })
        vim.cmd("'<,'>ChatlsExplain")
        H.note('float1', H.until_float('ChatlsExplain'))
        H.until_progress_ended(1)
        H.close_floats()
        H.note('hover1', H.hover(1, s + 1))

        -- A visual-mode mapping with <Cmd>: the command runs while visual mode is still on.
        vim.keymap.set('x', '<F5>', '<Cmd>ChatlsExplain<CR>')
        local line2 = vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]
        local m = line2:find('max', 1, true) - 1
        vim.api.nvim_win_set_cursor(0, { 2, m })
        vim.api.nvim_feedkeys('v' .. (#'max(a, b)' - 1) .. 'l' .. vim.keycode('<F5>'), 'mx', false)
        H.note('mode_after_mapping', vim.api.nvim_get_mode().mode)
        H.note('float2', H.until_float('the <Cmd> mapping'))
        H.until_progress_ended(2)
        H.close_floats()
        H.note('hover2', H.hover(2, m + 1))
        """,
        {"m.py": MULTIBYTE},
    )
    assert run.out["offset_encoding"] == "utf-8"
    first, second = MULTIBYTE.splitlines()
    assert run.notes["float1"] == ["Adds a and b."]
    start = utf8_column(first, "sum_all")
    assert run.notes["hover1"] == {
        "markdown": "Adds a and b.",
        "range": {
            "start": {"line": 0, "character": start},
            "end": {"line": 0, "character": start + len("sum_all(a, b)")},
        },
    }
    assert run.notes["mode_after_mapping"] == "n"
    assert run.notes["float2"] == ["The larger one."]
    start = utf8_column(second, "max")
    assert run.notes["hover2"]["range"] == {
        "start": {"line": 1, "character": start},
        "end": {"line": 1, "character": start + len("max(a, b)")},
    }
    assert run.messages() == []
    assert "sum_all(a, b)" in nvim.backend.requests[0].prompt
    assert "max(a, b)" in nvim.backend.requests[1].prompt


def test_refactor_command_asks_for_an_instruction(nvim: Neovim) -> None:
    nvim.backend.script(Chat("```python\nresult = 0\nfor item in items:\n    result += item\n```"))
    run = nvim.run(
        """
        H.open('a.py')
        vim.ui.input = function(opts, on_confirm)
          H.note('prompt', opts.prompt)
          on_confirm('Use augmented assignment')
        end
        H.until_changed(function() vim.cmd('9,11ChatlsRefactor') end, 'ChatlsRefactor')
        H.until_progress_ended(1)
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["prompt"].startswith("chatls refactor")
    assert run.notes["text"] == PY.replace("result = result + item", "result += item")
    assert "Task: Use augmented assignment" in nvim.backend.requests[0].prompt
    # The command path: the server applied its edit with workspace/applyEdit.
    assert run.out["server_edits"] == 1
    assert [(p["title"], p["message"]) for p in run.progress("end")] == [
        ("chatls: Refactor: lines 9-11", "Done")
    ]
    assert run.messages() == []


def test_refactor_command_takes_the_instruction_as_arguments(nvim: Neovim) -> None:
    nvim.backend.script(Chat("```python\nsum([a, b])\n```"))
    run = nvim.run(
        """
        H.open('m.py')
        vim.ui.input = function() error('the instruction was given: no prompt expected') end
        local line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
        local s = line:find('sum_all', 1, true) - 1
        H.select('v', { 1, s }, { 1, s + #'sum_all(a, b)' - 1 })
        H.until_changed(function()
          vim.cmd("'<,'>ChatlsRefactor Use the builtin sum")
        end, 'ChatlsRefactor')
        H.until_progress_ended(1)
        H.note('text', H.text())
        """,
        {"m.py": MULTIBYTE},
    )
    assert run.notes["text"] == MULTIBYTE.replace("sum_all(a, b)", "sum([a, b])")
    assert "Task: Use the builtin sum" in nvim.backend.requests[0].prompt


def test_docstring_command_at_the_cursor(nvim: Neovim) -> None:
    nvim.backend.script(Chat("Return the area of a circle of radius r."))
    run = nvim.run(
        """
        H.open('a.py')
        vim.api.nvim_win_set_cursor(0, { 5, 10 })
        H.until_changed(function() vim.cmd('ChatlsDocstring') end, 'ChatlsDocstring')
        H.until_progress_ended(1)
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["text"] == PY.replace(
        "def area(r):\n", 'def area(r):\n    """Return the area of a circle of radius r."""\n'
    )
    assert [p["title"] for p in run.progress("end")] == ["chatls: Generate docstring: `area`"]


def test_fix_command_sends_the_diagnostic_under_the_cursor(nvim: Neovim) -> None:
    nvim.backend.script(
        Chat(f"```python\n{FIXED_TOTAL}```"),
        Chat("```python\ndef area(r):\n    return math.pi * r ** 2\n```"),
    )
    run = nvim.run(
        """
        H.open('a.py')
        H.diagnose({
          -- From another language server: its LSP diagnostic travels in user_data.lsp.
          {
            lnum = 10, col = 17, end_lnum = 10, end_col = 30,
            message = 'Consider using augmented assignment',
            severity = vim.diagnostic.severity.WARN,
            source = 'pylint',
            user_data = { lsp = {
              range = { start = { line = 10, character = 17 }, ['end'] = { line = 10, character = 30 } },
              message = 'Consider using augmented assignment',
              severity = 2, source = 'pylint', code = 'R1714',
            } },
          },
          -- Two plain diagnostics (a linter without LSP) on one line: the user picks one.
          { lnum = 4, col = 11, end_lnum = 4, end_col = 18, message = 'Use r ** 2',
            severity = vim.diagnostic.severity.HINT, source = 'style' },
          { lnum = 4, col = 4, end_lnum = 4, end_col = 10, message = 'Missing type annotation',
            severity = vim.diagnostic.severity.INFO, source = 'typing', code = 'T1' },
        })
        vim.api.nvim_win_set_cursor(0, { 11, 20 })
        H.until_changed(function() vim.cmd('ChatlsFix') end, 'ChatlsFix')
        H.until_progress_ended(1)
        H.note('after_first', H.text())

        vim.ui.select = function(items, opts, on_choice)
          H.note('choices', vim.tbl_map(opts.format_item, items))
          on_choice(items[2])
        end
        -- The cursor is on neither diagnostic: every diagnostic on its line is offered.
        vim.api.nvim_win_set_cursor(0, { 5, 0 })
        H.until_changed(function() vim.cmd('ChatlsFix') end, 'ChatlsFix with a choice')
        H.until_progress_ended(2)
        H.note('after_second', H.text())
        """,
        {"a.py": PY},
    )
    after_first = PY.replace("result = result + item", "result += item")
    assert run.notes["after_first"] == after_first
    first = nvim.backend.requests[0].prompt
    assert "Consider using augmented assignment" in first
    assert "R1714" in first and "pylint" in first
    assert "Use r ** 2" not in first
    # Sorted by severity: INFO before HINT.
    assert run.notes["choices"] == ["typing: Missing type annotation", "style: Use r ** 2"]
    assert run.notes["after_second"] == after_first.replace("r * r", "r ** 2")
    second = nvim.backend.requests[1].prompt
    assert "Use r ** 2" in second and "Missing type annotation" not in second
    assert run.messages() == []


def test_actions_command_offers_fix_for_any_diagnostic(nvim: Neovim) -> None:
    nvim.backend.script(Chat(f"```python\n{FIXED_TOTAL}```"))
    run = nvim.run(
        """
        H.open('a.py')
        H.diagnose({ { lnum = 10, col = 17, end_lnum = 10, end_col = 30,
          message = 'Consider using augmented assignment', source = 'pylint',
          severity = vim.diagnostic.severity.WARN } })
        vim.ui.select = function(items, opts, on_choice)
          H.note('titles', vim.tbl_map(opts.format_item, items))
          on_choice(items[#items])
        end
        vim.api.nvim_win_set_cursor(0, { 11, 20 })
        H.until_changed(function() vim.cmd('ChatlsActions') end, 'ChatlsActions')
        H.until_progress_ended(1)
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["titles"] == [
        "chatls: Explain",
        "chatls: Ask…",
        "chatls: Refactor",
        "chatls: Generate docstring",
        "chatls: Add types",
        "chatls: Write tests",
        "chatls: Fix “Consider using augmented assignment”",
    ]
    assert run.notes["text"] == PY.replace("result = result + item", "result += item")
    assert "Consider using augmented assignment" in nvim.backend.requests[0].prompt


def test_cancel_command_stops_the_request(nvim: Neovim, tmp_path: Path) -> None:
    asked = tmp_path / "asked"

    def hang(request: Recorded) -> Response:
        # Tells the scenario that the request reached the backend, so there is a connection
        # for the cancellation to close.
        asked.touch()
        return Hang(30)

    nvim.backend.responder = hang
    run = nvim.run(
        f"""
        H.open('a.py')
        vim.api.nvim_win_set_cursor(0, {{ 10, 4 }})
        vim.cmd('ChatlsRefactor Make it shorter')
        H.until_file({json.dumps(str(asked))}, 'the request to reach the backend')
        vim.cmd('ChatlsCancel')
        H.until_progress_ended(1)
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert [p["message"] for p in run.progress("end")] == ["Cancelled"]
    # The server closed the HTTP connection instead of waiting out the hanging backend.
    assert nvim.backend.wait_for(lambda: nvim.backend.disconnects == 1, timeout=5)
    assert run.notes["text"] == PY
    assert run.out["server_edits"] == 0
    assert run.messages() == []


def test_failures_are_reported_and_change_nothing(nvim: Neovim) -> None:
    nvim.backend.script(Error(401, "Incorrect API key provided"))
    run = nvim.run(
        """
        H.open('a.py')
        vim.api.nvim_win_set_cursor(0, { 10, 4 })
        vim.cmd('ChatlsRefactor Make it shorter')
        H.until_progress_ended(1)
        H.wait(function() return #H.out.messages > 0 end, 'the error message')
        H.note('text', H.text())
        -- No chatls in this buffer: the plugin says so instead of failing.
        vim.cmd('enew')
        vim.cmd('ChatlsExplain')
        """,
        {"a.py": PY},
    )
    assert run.notes["text"] == PY
    assert run.out["server_edits"] == 0
    [error] = run.messages(1)
    assert error.startswith("chatls:") and "401" in error
    assert [p["message"] for p in run.progress("end")] == ["Failed"]
    assert "chatls: the chatls language server is not attached to this buffer" in [
        n["message"] for n in run.out["notifications"]
    ]


def test_history_command_lists_the_actions_and_opens_one(nvim: Neovim) -> None:
    nvim.backend.script(Chat("```python\nsum([a, b])\n```"), Chat("Adds **a** and b."))
    run = nvim.run(
        """
        H.open('m.py')
        local notified = #H.out.notifications
        vim.cmd('ChatlsHistory')
        H.wait(function() return #H.out.notifications > notified end, 'the empty history message')
        local line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
        local s = line:find('sum_all', 1, true) - 1
        H.select('v', { 1, s }, { 1, s + #'sum_all(a, b)' - 1 })
        H.until_changed(function()
          vim.cmd("'<,'>ChatlsRefactor Use the builtin sum")
        end, 'ChatlsRefactor')
        H.until_progress_ended(1)
        vim.cmd("'<,'>ChatlsExplain")
        H.until_progress_ended(2)
        H.close_floats()
        -- The server writes its history off the request's path: wait for both records.
        local path = vim.env.XDG_STATE_HOME .. '/chatls/history.jsonl'
        H.wait(function()
          return vim.uv.fs_stat(path) ~= nil and #vim.fn.readfile(path) == 2
        end, 'two records in the history')
        local source = vim.api.nvim_get_current_buf()
        local listed
        vim.ui.select = function(items, opts, on_choice)
          listed = vim.tbl_map(opts.format_item, items)
          on_choice(items[2], 2)
        end
        vim.cmd('ChatlsHistory')
        H.wait(function() return vim.api.nvim_get_current_buf() ~= source end, 'the record to open')
        local buf = vim.api.nvim_get_current_buf()
        H.note('listed', listed)
        H.note('lines', vim.api.nvim_buf_get_lines(buf, 0, -1, false))
        H.note('name', vim.api.nvim_buf_get_name(buf))
        H.note('buffer', {
          filetype = vim.bo[buf].filetype,
          modifiable = vim.bo[buf].modifiable,
          buftype = vim.bo[buf].buftype,
          windows = #vim.api.nvim_list_wins(),
        })
        """,
        {"m.py": MULTIBYTE},
    )
    assert "chatls: no actions in the history yet" in [
        n["message"] for n in run.out["notifications"]
    ]
    # Newest first: what, where, what became of it, when.
    assert run.notes["listed"] == [
        "Explain m.py:1  answered, just now",
        "Refactor m.py:1  applied, just now",
    ]
    lines = run.notes["lines"]
    text = "\n".join(lines)
    assert lines[0] == "# Refactor m.py:1"
    assert lines[2].startswith("applied · ") and "test-model" in lines[2]
    # The reply, then the request's messages as they were sent.
    reply = text.index("## Reply\n\n```python\nsum([a, b])\n```\n")
    request = text.index("## Request\n\n### system\n")
    assert reply < request
    assert "Task: Use the builtin sum" in text[request:]
    assert run.notes["name"].startswith("chatls://history/")
    assert run.notes["buffer"] == {
        "filetype": "markdown",
        "modifiable": False,
        "buftype": "nofile",
        "windows": 2,
    }


def test_history_command_says_when_the_history_is_off(nvim: Neovim) -> None:
    run = nvim.run(
        """
        H.open('a.py')
        vim.ui.select = function() error('nothing to pick from') end
        vim.cmd('ChatlsHistory')
        H.wait(function() return #H.out.notifications > 0 end, 'the message')
        """,
        {"a.py": PY},
        settings={**default_settings(nvim.backend), "history": {"enabled": False}},
    )
    assert [n["message"] for n in run.out["notifications"]] == [
        "chatls: the history is off (history.enabled), or this workspace is not trusted"
    ]


def test_settings_from_init_options_settings_and_changes(nvim: Neovim) -> None:
    nvim.backend.script(Chat("First."), Chat("Second."))
    run = nvim.run(
        """
        H.open('a.py')
        vim.api.nvim_win_set_cursor(0, { 5, 4 })
        vim.cmd('ChatlsExplain')
        H.until_progress_ended(1)
        -- Settings changed at run time are pushed with didChangeConfiguration and pulled back.
        -- The invalid temperature makes the server warn once it has applied the new settings,
        -- which tells the scenario when the next command will see them.
        local client = H.client()
        client.settings.chatls.model = 'changed-model'
        client.settings.chatls.temperature = 'hot'
        client:notify('workspace/didChangeConfiguration', { settings = client.settings })
        H.wait(function() return #H.out.messages > 0 end, 'the settings warning')
        vim.cmd('ChatlsExplain')
        H.until_progress_ended(2)
        """,
        {"a.py": PY},
        # The endpoint only in init_options, the model only in settings.chatls.
        init_options={"baseUrl": nvim.backend.url, "apiKey": SECRET, "maxRetries": 0},
        settings={"model": "settings-model", "structuredOutput": "off"},
    )
    first, second = nvim.backend.requests
    assert first.headers["authorization"] == f"Bearer {SECRET}"
    assert first.body["model"] == "settings-model"
    assert second.body["model"] == "changed-model"
    [warning] = run.messages(2)
    assert "temperature" in warning
    assert run.messages() == [warning]


REFINE_FORMAT = (
    "\n\nAnswer with the complete new version of the code you wrote last, in one fenced code "
    "block, and nothing else."
)


def test_refine_continues_the_conversation_behind_an_edit(nvim: Neovim) -> None:
    replies = [
        "```python\nreturn math.pi * r ** 2\n```",
        "```python\nreturn math.pi * math.pow(r, 2)\n```",
        "```python\nreturn math.pi * r ** 2\n```",
    ]
    nvim.backend.script(*(Chat(reply) for reply in replies))
    run = nvim.run(
        """
        H.open('a.py')
        -- Refactor through the code action: Nvim resolves it and applies the edit itself.
        H.code_action('refactor.rewrite.chatls.refactor', {
          range = { start = { 5, 0 }, ['end'] = { 5, 25 } },
        })
        H.until_progress_ended(1)
        H.note('after_refactor', H.text())
        -- Refine… is offered on the changed code; the plugin asks for the instruction.
        vim.ui.input = function(opts, on_confirm)
          H.note('prompt', opts.prompt)
          on_confirm('Use math.pow')
        end
        vim.api.nvim_win_set_cursor(0, { 5, 10 })
        H.code_action('refactor.rewrite.chatls.refine')
        H.until_progress_ended(2)
        H.note('after_refine', H.text())
        -- :ChatlsRefine with the instruction as its arguments, the cursor elsewhere: chatls's
        -- latest change in the buffer.
        vim.ui.input = function() error('the instruction was given: no prompt expected') end
        vim.api.nvim_win_set_cursor(0, { 11, 0 })
        H.until_changed(function() vim.cmd('ChatlsRefine Keep the ** operator') end, 'ChatlsRefine')
        H.until_progress_ended(3)
        H.note('after_second_refine', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["after_refactor"] == PY.replace("r * r", "r ** 2")
    assert run.notes["prompt"] == "chatls refine (instruction): "
    assert run.notes["after_refine"] == PY.replace("r * r", "math.pow(r, 2)")
    assert run.notes["after_second_refine"] == run.notes["after_refactor"]
    first = nvim.backend.requests[0].messages
    assert nvim.backend.requests[2].messages == [
        *first,
        {"role": "assistant", "content": replies[0]},
        {"role": "user", "content": "Use math.pow" + REFINE_FORMAT},
        {"role": "assistant", "content": replies[1]},
        {"role": "user", "content": "Keep the ** operator" + REFINE_FORMAT},
    ]
    # The refactor was applied by Nvim, the refines by the server's workspace/applyEdit.
    assert run.out["server_edits"] == 2
    assert [p["title"] for p in run.progress("end")] == [
        "chatls: Refactor: line 5",
        "chatls: Refine: line 5",
        "chatls: Refine: line 5",
    ]
    assert run.messages() == []


def test_ask_answers_in_a_float_and_follows_up(nvim: Neovim) -> None:
    answers = ["The area of a circle.", "A positive area: `r` is squared.", "Yes, `math.pi`."]
    nvim.backend.script(Chat("Computes the area."), *(Chat(a) for a in answers))
    run = nvim.run(
        """
        H.open('a.py')
        vim.api.nvim_win_set_cursor(0, { 5, 10 })
        vim.cmd('ChatlsExplain')
        H.note('explained', H.until_float('ChatlsExplain'))
        H.until_progress_ended(1)
        H.close_floats()
        -- A question after Explain, about the same function: a follow-up.
        vim.cmd('ChatlsAsk What does it return?')
        H.note('float1', H.until_float('ChatlsAsk'))
        H.until_progress_ended(2)
        H.close_floats()
        vim.ui.input = function(opts, on_confirm)
          H.note('prompt', opts.prompt)
          on_confirm('What if r is negative?')
        end
        vim.cmd('ChatlsAsk')
        H.note('float2', H.until_float('ChatlsAsk with a prompt'))
        H.until_progress_ended(3)
        H.close_floats()
        -- The Ask… code action: the plugin asks for the question.
        vim.ui.input = function(opts, on_confirm) on_confirm('Is pi from math?') end
        vim.lsp.buf.code_action({
          filter = function(a) return a.kind == 'refactor.chatls.ask' end,
          apply = true,
        })
        H.note('float3', H.until_float('the Ask code action'))
        H.until_progress_ended(4)
        H.close_floats()
        H.note('hover', H.hover(5, 10))
        H.note('text', H.text())
        """,
        {"a.py": PY},
    )
    assert run.notes["explained"] == ["Computes the area."]
    assert run.notes["float1"] == [answers[0]]
    assert run.notes["prompt"] == "chatls ask: "
    assert run.notes["float2"] == [answers[1]]
    assert run.notes["float3"] == [answers[2]]
    assert run.notes["hover"]["markdown"] == answers[2]
    assert run.notes["text"] == PY
    explain = nvim.backend.requests[0].messages
    assert nvim.backend.requests[3].messages == [
        *explain,
        {"role": "assistant", "content": "Computes the area."},
        {"role": "user", "content": "What does it return?"},
        {"role": "assistant", "content": answers[0]},
        {"role": "user", "content": "What if r is negative?"},
        {"role": "assistant", "content": answers[1]},
        {"role": "user", "content": "Is pi from math?"},
    ]
    assert run.messages() == []


def test_implement_translate_and_custom_action_commands(nvim: Neovim) -> None:
    from tests.editors.conftest import default_settings

    source = "def area(w, h):\n    pass\n"
    nvim.backend.script(
        Chat("```python\ndef area(w, h):\n    return w * h\n```"),
        Chat("```rust\nfn area(w: f64, h: f64) -> f64 {\n    w * h\n}\n```"),
        Chat("It multiplies."),
    )
    settings = default_settings(nvim.backend)
    settings["customActions"] = [
        {"id": "plain", "title": "In plain words", "prompt": "Say it simply.", "output": "markdown"}
    ]
    run = nvim.run(
        """
        local buf = H.open('a.py')
        vim.api.nvim_win_set_cursor(0, { 2, 4 })
        H.until_changed(function() vim.cmd('ChatlsImplement') end, 'ChatlsImplement')
        H.note('implemented', H.text(buf))
        vim.cmd('%ChatlsTranslate rust')
        H.wait(function() return vim.bo.filetype == 'rust' end, 'the translation buffer')
        H.note('translation', H.text())
        H.note('source_after', H.text(buf))
        vim.cmd.buffer(buf)
        vim.cmd('ChatlsAction plain')
        H.until_float('the custom answer')
        H.note('floats', H.floats())
        """,
        {"a.py": source},
        settings=settings,
    )
    assert run.notes["implemented"] == "def area(w, h):\n    return w * h\n"
    assert run.notes["translation"] == "fn area(w: f64, h: f64) -> f64 {\n    w * h\n}\n"
    assert run.notes["source_after"] == "def area(w, h):\n    return w * h\n"
    assert "It multiplies." in json.dumps(run.notes["floats"])
    assert "into Rust" in nvim.backend.requests[1].prompt
    assert run.messages() == []


GREET = "def greet(name):\n    return 'hi ' + name\n"


def test_commands_come_from_the_published_actions(nvim: Neovim) -> None:
    """Every action the server publishes is a command, custom actions included, with nothing
    in the plugin naming them; a settings change that adds or removes a custom action adds or
    removes its command, and :ChatlsAction completes the ids published at that moment."""
    from chatls.actions.registry import builtin

    plain = {
        "id": "plain-words",
        "title": "In plain words",
        "prompt": "Say it simply.",
        "output": "markdown",
    }
    nvim.backend.script(
        Chat("It greets."),
        Chat("```python\ndef greet(name):\n    return 'HI ' + name.upper()\n```"),
    )
    settings = {**default_settings(nvim.backend), "customActions": [plain]}
    run = nvim.run(
        """
        local function commands()
          local names = vim.tbl_keys(vim.api.nvim_get_commands({}))
          table.sort(names)
          return vim.tbl_filter(function(name) return vim.startswith(name, 'Chatls') end, names)
        end
        H.open('a.py')
        H.note('commands', commands())
        H.note('completion', vim.fn.getcompletion('ChatlsAction ', 'cmdline'))
        H.note('completion_p', vim.fn.getcompletion('ChatlsAction p', 'cmdline'))
        vim.api.nvim_win_set_cursor(0, { 2, 4 })
        vim.cmd('ChatlsPlainWords')
        H.note('float', H.until_float('ChatlsPlainWords'))
        H.close_floats()

        local client = H.client()
        client.settings.chatls.customActions = {
          client.settings.chatls.customActions[1],
          { id = 'shout', title = 'Shout', prompt = 'Make the greeting loud.' },
        }
        client:notify('workspace/didChangeConfiguration', { settings = client.settings })
        H.wait(function() return vim.fn.exists(':ChatlsShout') == 2 end, 'the command :ChatlsShout')
        H.note('completion_added', vim.fn.getcompletion('ChatlsAction s', 'cmdline'))
        H.until_changed(function() vim.cmd('ChatlsShout') end, 'ChatlsShout')
        H.note('shouted', H.text())

        client.settings.chatls.customActions = vim.NIL
        client:notify('workspace/didChangeConfiguration', { settings = client.settings })
        H.wait(function() return vim.fn.exists(':ChatlsShout') == 0 end, ':ChatlsShout to go')
        H.note('commands_after', commands())
        """,
        {"a.py": GREET},
        settings=settings,
    )
    ids = list(builtin())
    own = [
        "ChatlsAction",
        "ChatlsActions",
        "ChatlsCancel",
        "ChatlsHistory",
        "ChatlsNextEdit",
        "ChatlsReviewAccept",
        "ChatlsReviewReject",
    ]
    from_builtin = ["Chatls" + action_id.capitalize() for action_id in ids]
    assert run.notes["commands"] == sorted([*own, *from_builtin, "ChatlsPlainWords"])
    assert run.notes["completion"] == [*ids, "plain-words"]
    assert run.notes["completion_p"] == ["plain-words"]
    assert run.notes["float"] == ["It greets."]
    assert "Say it simply." in nvim.backend.requests[0].prompt
    assert run.notes["completion_added"] == ["shout"]
    assert run.notes["shouted"] == "def greet(name):\n    return 'HI ' + name.upper()\n"
    assert "Make the greeting loud." in nvim.backend.requests[1].prompt
    assert run.notes["commands_after"] == sorted([*own, *from_builtin])
    assert run.messages() == []


def test_write_tests_creates_tests_folder_and_runs_them_unsaved(
    nvim: Neovim, tmp_path: Path
) -> None:
    """In a src-layout project with no tests yet: Nvim creates tests/test_shapes.py (the folder
    too) and leaves it unsaved; the run sees what the buffer holds."""
    nvim.env["VIRTUAL_ENV"] = sys.prefix  # the project's interpreter, with pytest
    nvim.backend.script(Chat("```python\ndef test_low():\n    assert clamp(-1, 0, 3) == 0\n```"))
    shapes = (
        "def clamp(value, low, high):\n    if value < low:\n        return low\n"
        "    return min(value, high)\n"
    )
    settings = {
        **default_settings(nvim.backend),
        "tests": {"run": "on", "trustedFolders": [str(tmp_path)]},
    }
    run = nvim.run(
        """
        H.open('src/geom/shapes.py')
        vim.api.nvim_win_set_cursor(0, { 3, 8 })
        vim.cmd('ChatlsTests')
        H.wait(function()
          for _, m in ipairs(H.out.messages) do
            if m.message:find('written to') then return true end
          end
        end, 'the run of the new tests', 60000)
        local buffer = vim.fn.bufnr('tests/test_shapes.py')
        H.note('test_text', H.text(buffer))
        H.note('on_disk', table.concat(vim.fn.readfile('tests/test_shapes.py'), '\\n'))
        """,
        {
            "pyproject.toml": '[project]\nname = "geom"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/geom/__init__.py": "",
            "src/geom/shapes.py": shapes,
        },
        settings=settings,
    )
    # Nvim keeps the new buffer's own empty line after text inserted at its start (its
    # apply_text_edits drops a final empty line only after edits that reach past the last line).
    assert run.notes["test_text"] == (
        "from geom.shapes import clamp\n\n\ndef test_low():\n    assert clamp(-1, 0, 3) == 0\n\n"
    )
    # Nvim created the file and left the tests in an unsaved buffer.
    assert run.notes["on_disk"] == ""
    assert run.messages() == ["chatls: 1 test written to tests/test_shapes.py: 1 passed."]
    titles = [p["title"] for p in run.progress("begin")]
    assert titles == ["chatls: Write tests: `clamp`", "chatls: running 1 new test"]


STACK = (
    "class Stack:\n"
    '    """A stack."""\n'
    "\n"
    "    def pop(self, items):\n"
    "        return items.pop()\n"
    "\n"
    "    def push(self, items, item):\n"
    "        items.append(item)\n"
)


def test_docstring_lands_on_the_method_however_it_is_selected(nvim: Neovim) -> None:
    """``V`` over a method's lines, ``v`` from its keyword, a bare cursor in its body, and the
    lightbulb on a line-wise selection: each documents the method, never the class."""
    nvim.backend.responder = lambda request: Chat("Take the last item off.")
    run = nvim.run(
        """
        H.open('s.py')
        -- V (line-wise) over `def pop` and its body, then :'<,'>ChatlsDocstring.
        H.select('V', { 4, 0 }, { 5, 0 })
        H.until_changed(function() vim.cmd("'<,'>ChatlsDocstring") end, 'V ChatlsDocstring')
        H.until_progress_ended(1)
        H.note('line-wise', H.text())
        vim.cmd('silent undo')
        -- v (character-wise) from the `def` keyword to the end of the body.
        H.select('v', { 4, 4 }, { 5, 25 })
        H.until_changed(function() vim.cmd("'<,'>ChatlsDocstring") end, 'v ChatlsDocstring')
        H.until_progress_ended(2)
        H.note('character-wise', H.text())
        vim.cmd('silent undo')
        -- No selection: the cursor in the body.
        vim.api.nvim_win_set_cursor(0, { 5, 12 })
        H.until_changed(function() vim.cmd('ChatlsDocstring') end, 'ChatlsDocstring')
        H.until_progress_ended(3)
        H.note('cursor', H.text())
        vim.cmd('silent undo')
        -- The lightbulb (vim.lsp.buf.code_action) with the range V selects.
        H.code_action('refactor.rewrite.chatls.docstring', {
          range = { start = { 4, 0 }, ['end'] = { 5, 26 } },
        })
        H.until_progress_ended(4)
        H.note('code action', H.text())
        """,
        {"s.py": STACK},
    )
    expected = STACK.replace(
        "    def pop(self, items):\n",
        '    def pop(self, items):\n        """Take the last item off."""\n',
    )
    for gesture in ("line-wise", "character-wise", "cursor", "code action"):
        assert run.notes[gesture] == expected, gesture
    assert run.messages() == []
    assert [p["title"] for p in run.progress("begin")] == [
        "chatls: Generate docstring: `Stack.pop`"
    ] * 4
    # Each request held the method, never the whole class.
    for request in nvim.backend.requests:
        assert "def pop(self, items)" in request.prompt
        assert "def push" not in request.prompt


SHAPES = (
    "def area(width, height):\n"
    "    return width * height\n"
    "\n"
    "\n"
    "def perimeter(width, height):\n"
    "    return 2 * width + 2 * height\n"
)
TYPED = (
    "def area(width: float, height: float) -> float:\n"
    "    return width * height\n"
    "\n"
    "\n"
    "def perimeter(width: float, height: float) -> float:\n"
    "    return 2 * (width + height)\n"
)


def test_review_shows_the_change_in_place_and_keeps_the_hunks_chosen(nvim: Neovim) -> None:
    """With review.mode `always`, a Refactor of two hunks leaves the buffer as it was and shows
    the change with extmarks (removed lines highlighted, added ones as virtual lines); the
    default keymaps keep the second hunk and drop the first, and only the kept one lands."""
    nvim.backend.script(Chat(f"```python\n{TYPED}```"))
    settings = {**default_settings(nvim.backend), "review": {"mode": "always"}}
    run = nvim.run(
        """
        vim.g.mapleader = ' '
        H.open('shapes.py')
        H.note('advertised', H.client().capabilities.experimental)
        local review = require('chatls.review')
        vim.cmd('%ChatlsRefactor Add types')
        H.wait(function() return review.get() ~= nil end, 'the review to show')
        H.until_progress_ended(1)
        H.note('text_while_shown', H.text())
        -- What the marks show on each row: its highlight, its label, the lines added under it.
        local function marks()
          local rows = {}
          for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, review.ns, 0, -1, { details = true })) do
            local row, d = m[2], m[4]
            rows[row + 1] = rows[row + 1] or { row = row, added = {} }
            local shown = rows[row + 1]
            shown.removed = d.line_hl_group or shown.removed
            shown.label = d.virt_text and vim.trim(d.virt_text[1][1]) or shown.label
            for _, line in ipairs(d.virt_lines or {}) do
              table.insert(shown.added, { (line[1][1]:gsub('%s+$', '')), line[1][2] })
            end
          end
          return vim.tbl_values(rows)
        end
        H.note('marks', marks())
        H.note('cursor_at_first', vim.api.nvim_win_get_cursor(0))
        -- Drop the first hunk: the cursor moves to the next one, whose keymap keeps it.
        vim.api.nvim_feedkeys(vim.keycode('<leader>cr'), 'mx', false)
        H.note('marks_after_drop', marks())
        H.note('cursor_after_drop', vim.api.nvim_win_get_cursor(0))
        H.note('text_after_drop', H.text())
        H.until_changed(function()
          vim.api.nvim_feedkeys(vim.keycode('<leader>ca'), 'mx', false)
        end, 'keeping the second hunk')
        H.note('text', H.text())
        H.note('marks_after', #vim.api.nvim_buf_get_extmarks(0, review.ns, 0, -1, {}))
        H.note('mapping_after', vim.fn.maparg('<leader>ca', 'n'))
        """,
        {"shapes.py": SHAPES},
        settings=settings,
    )
    assert run.notes["advertised"] == {"chatls": {"review": True}}
    assert run.notes["text_while_shown"] == SHAPES
    area, perimeter = TYPED.splitlines()[0], TYPED.splitlines()[4:6]
    label = "chatls Refactor · hunk {}/2 · <leader>ca keep, <leader>cr drop"
    assert run.notes["marks"] == [
        {
            "row": 0,
            "removed": "DiffDelete",
            "label": label.format(1),
            "added": [[area, "DiffAdd"]],
        },
        {"row": 4, "removed": "DiffDelete", "added": []},
        {
            "row": 5,
            "removed": "DiffDelete",
            "label": label.format(2),
            "added": [[line, "DiffAdd"] for line in perimeter],
        },
    ]
    assert run.notes["cursor_at_first"] == [1, 0]
    assert run.notes["cursor_after_drop"] == [5, 0]
    assert run.notes["marks_after_drop"][0] == {
        "row": 0,
        "label": "chatls Refactor · hunk 1/2: dropped",
        "added": [],
    }
    assert run.notes["text_after_drop"] == SHAPES
    assert run.notes["text"] == SHAPES.replace(
        "def perimeter(width, height):\n    return 2 * width + 2 * height\n",
        "def perimeter(width: float, height: float) -> float:\n    return 2 * (width + height)\n",
    )
    assert run.notes["marks_after"] == 0
    assert run.notes["mapping_after"] == ""
    # The kept hunk went to the server, which applied it.
    assert run.out["server_edits"] == 1
    assert run.messages() == []


def test_review_commands_and_a_refused_partial_accept(nvim: Neovim) -> None:
    """`:{range}ChatlsReviewAccept` and `:ChatlsReviewReject` decide hunks by line; keeping a
    part that would not parse is refused by the server, whose message Nvim shows, and nothing
    changes; `:ChatlsReviewAccept!` then applies a whole change at once."""
    values = "values = [\n    1,\n    2,\n]\n"
    as_set = "values = {\n    1,\n    2,\n}\n"
    nvim.backend.script(Chat(f"```python\n{as_set}```"), Chat(f"```python\n{as_set}```"))
    settings = {**default_settings(nvim.backend), "review": "always"}
    run = nvim.run(
        """
        H.open('values.py')
        local review = require('chatls.review')
        -- The user's own mapping of a review key, in this buffer, comes back afterwards.
        vim.keymap.set('n', '<leader>ca', '<Cmd>let g:mine = 1<CR>', { buffer = true })
        vim.cmd('%ChatlsRefactor A set')
        H.wait(function() return review.get() ~= nil end, 'the review to show')
        H.note('hunks', #review.get().hunks)
        vim.cmd('1ChatlsReviewAccept')
        vim.api.nvim_win_set_cursor(0, { 4, 0 })
        vim.cmd('ChatlsReviewReject')
        H.note('shown_after', review.get() ~= nil)
        H.wait(function() return #H.out.messages > 0 end, 'the refusal')
        H.note('text_after_refusal', H.text())
        vim.cmd('%ChatlsRefactor A set')
        H.wait(function() return review.get() ~= nil end, 'the second review')
        H.until_changed(function() vim.cmd('ChatlsReviewAccept!') end, 'ChatlsReviewAccept!')
        H.note('text', H.text())
        vim.cmd('ChatlsReviewAccept')
        H.note('own_mapping', vim.fn.maparg('<leader>ca', 'n'))
        """,
        {"values.py": values},
        settings=settings,
    )
    assert run.notes["hunks"] == 2
    assert run.notes["shown_after"] is False
    assert run.notes["text_after_refusal"] == values
    assert run.messages(1) == [
        "chatls: Accepting only hunk 1 of the change would leave the file with syntax errors, so "
        "nothing was applied. Accept the hunks that go with them too, or reject the change."
    ]
    assert run.notes["text"] == as_set
    assert run.notes["own_mapping"] == "<Cmd>let g:mine = 1<CR>"
    # With no review left, the command says so.
    assert run.out["notifications"][-1]["message"] == "chatls: no change to review in this buffer"


def next_edit_reply(request: Recorded) -> Response:
    """The model asked for the next edit: the editable region it was shown, with area's body
    following the rename of its parameter (perimeter's own `width` stays)."""
    system = " ".join(str(m.get("content")) for m in request.messages if m.get("role") == "system")
    if "predict the next edit" not in system:
        return Error(500, "the test expected only next-edit requests")
    user = str([m for m in request.messages if m.get("role") == "user"][-1]["content"])
    region = user.split("<|editable_region_start|>\n", 1)[1].split("<|editable_region_end|>")[0]
    region = region.replace("<|cursor|>", "")
    edited = region.replace("return width * height", "return w * height", 1)
    if not edited.endswith("\n"):
        edited += "\n"
    return Chat(f"```python\n{edited}```")


# Renames area's first parameter where it is defined, as typed in normal mode, and waits for
# the suggestion that follows; `sent` collects the feedback the plugin sends.
RENAME_AND_WAIT = """
        H.open('shapes.py')
        local nextedit = require('chatls.nextedit')
        H.note('advertised', H.client().server_capabilities.experimental.chatls.nextEdit)
        local sent = {}
        local client = H.client()
        local notify = client.notify
        client.notify = function(self, method, params)
          if method == 'chatls/nextEditFeedback' then
            table.insert(sent, params)
          end
          return notify(self, method, params)
        end
        vim.api.nvim_win_set_cursor(0, { 1, 9 })
        vim.api.nvim_feedkeys('ciww' .. vim.keycode('<Esc>'), 'nx', false)
        H.note('renamed', H.text())
        H.wait(function() return nextedit.get() ~= nil end, 'the next-edit suggestion', 30000)
        local function marks()
          local found = {}
          for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, nextedit.ns, 0, -1, { details = true })) do
            local d = m[4]
            table.insert(found, {
              row = m[2],
              col = m[3],
              end_row = d.end_row,
              end_col = d.end_col,
              hl = d.hl_group,
              virt_text = d.virt_text,
              sign = d.sign_text and vim.trim(d.sign_text),
            })
          end
          return found
        end
        -- Nvim's own <Tab> in insert mode (snippets) is global: the plugin's keys are the buffer's.
        local function buffer_mappings()
          local found = {}
          for _, mode in ipairs({ 'n', 'i' }) do
            for _, m in ipairs(vim.api.nvim_buf_get_keymap(0, mode)) do
              if m.lhs == '<Tab>' or m.lhs == '<Esc>' then
                table.insert(found, mode .. ' ' .. m.lhs)
              end
            end
          end
          return found
        end
        H.note('mapped_while_shown', buffer_mappings())
"""


def applied_as_shown(text: str, marks: list[dict[str, object]]) -> str:
    """`text` with what the marks show done to it: struck-through text removed, the inline
    virtual text inserted where it stands."""
    lines = text.split("\n")
    changes: list[tuple[int, int, int, str]] = []
    for mark in marks:
        row, col = int(str(mark["row"])), int(str(mark["col"]))
        if mark.get("hl") == "ChatlsNextEditDelete":
            assert mark["end_row"] == row, "a suggestion on one line here"
            changes.append((row, col, int(str(mark["end_col"])), ""))
        elif mark.get("virt_text"):
            virt_text = mark["virt_text"]
            assert isinstance(virt_text, list)
            assert all(chunk[1] == "ChatlsNextEditInsert" for chunk in virt_text)
            changes.append((row, col, col, "".join(chunk[0] for chunk in virt_text)))
    for row, start, end, new in sorted(changes, key=lambda c: (c[0], c[1], c[2]), reverse=True):
        lines[row] = lines[row][:start] + new + lines[row][end:]
    return "\n".join(lines)


def test_next_edit_follows_a_rename_and_tab_tab_accepts_it(nvim: Neovim) -> None:
    """Renaming a parameter where it is defined brings, after the pause, the suggestion to
    rename its use: struck-through and inserted text with a sign, the buffer unchanged. Tab
    goes to it, Tab again applies it; the server hears it was shown and accepted."""
    nvim.backend.responder = next_edit_reply
    run = nvim.run(
        RENAME_AND_WAIT
        + """
        H.note('marks', marks())
        H.note('text_while_shown', H.text())
        H.note('delete_hl', vim.api.nvim_get_hl(0, { name = 'ChatlsNextEditDelete' }))
        H.note('cursor_before', vim.api.nvim_win_get_cursor(0))
        vim.api.nvim_feedkeys(vim.keycode('<Tab>'), 'mx', false)
        H.note('cursor_after_jump', vim.api.nvim_win_get_cursor(0))
        H.note('text_after_jump', H.text())
        H.until_changed(function()
          vim.api.nvim_feedkeys(vim.keycode('<Tab>'), 'mx', false)
        end, 'accepting the suggestion')
        H.note('text', H.text())
        H.note('cursor_after_accept', vim.api.nvim_win_get_cursor(0))
        H.wait(function() return #vim.api.nvim_buf_get_extmarks(0, nextedit.ns, 0, -1, {}) == 0 end,
          'the suggestion to go')
        H.note('mapped_after', buffer_mappings())
        H.until_logged("Notification 'chatls/nextEditFeedback' received", 2, 'the feedback')
        H.note('feedback', sent)
        """,
        {"shapes.py": SHAPES},
    )
    renamed = SHAPES.replace("def area(width,", "def area(w,")
    assert run.notes["advertised"]["enabled"] is True
    assert run.notes["renamed"] == renamed
    # Shown, not applied: the struck text and the inserted text make area's body use `w`,
    # with a sign on its line.
    assert run.notes["text_while_shown"] == renamed
    marks = run.notes["marks"]
    assert [m["row"] for m in marks if m.get("sign")] == [1]
    assert {m["sign"] for m in marks if m.get("sign")} == {"»"}
    assert any(m.get("hl") == "ChatlsNextEditDelete" for m in marks)
    assert applied_as_shown(renamed, marks) == renamed.replace("return width *", "return w *")
    assert run.notes["delete_hl"]["strikethrough"] is True
    # The first Tab goes to the edit, the second applies it.
    assert run.notes["cursor_before"] == [1, 9]
    first = min((m for m in marks if not m.get("sign")), key=lambda m: m["col"])
    assert run.notes["cursor_after_jump"] == [2, first["col"]]
    assert run.notes["text_after_jump"] == renamed
    assert run.notes["text"] == renamed.replace("return width * height", "return w * height")
    # After what was added, where typing goes on.
    assert run.notes["cursor_after_accept"] == [2, len("    return w")]
    assert sorted(run.notes["mapped_while_shown"]) == ["i <Esc>", "i <Tab>", "n <Esc>", "n <Tab>"]
    assert run.notes["mapped_after"] == []
    feedback = run.notes["feedback"]
    assert [f["outcome"] for f in feedback] == ["shown", "accepted"]
    assert feedback[0]["id"] == feedback[1]["id"] != ""
    # The model saw the rename as the recent edit.
    asked = next_edit_requests(nvim)
    assert asked and "+def area(w, height):" in asked[0].prompt
    assert run.messages() == []


def next_edit_requests(nvim: Neovim) -> list[Recorded]:
    return [
        r
        for r in nvim.backend.requests
        if any("predict the next edit" in str(m.get("content")) for m in r.messages)
    ]


def test_next_edit_esc_dismisses_and_it_is_not_suggested_again(nvim: Neovim) -> None:
    """Esc takes the suggestion down and leaves the buffer as it was; the server does not offer
    the dismissed suggestion again, whether asked again at once (`:ChatlsNextEdit`, the same
    version) or after the user typed somewhere else and paused."""
    nvim.backend.responder = next_edit_reply
    run = nvim.run(
        RENAME_AND_WAIT
        + """
        H.note('marks_shown', #marks())
        vim.api.nvim_feedkeys(vim.keycode('<Esc>'), 'mx', false)
        H.note('shown_after_esc', nextedit.get() ~= nil)
        H.note('mode_after_esc', vim.api.nvim_get_mode().mode)
        H.wait(function() return #marks() == 0 end, 'the marks to go')
        H.note('mapped_after', buffer_mappings())
        H.until_logged("Notification 'chatls/nextEditFeedback' received", 2, 'the feedback')
        -- Answers to the next requests, counted once their handler has run.
        local answered = 0
        vim.api.nvim_create_autocmd('LspRequest', {
          callback = function(args)
            local request = args.data.request
            if request.type == 'complete' and request.method == 'chatls/nextEdit' then
              vim.schedule(function() answered = answered + 1 end)
            end
          end,
        })
        vim.cmd('ChatlsNextEdit')
        H.wait(function() return answered == 1 end, 'the answer to :ChatlsNextEdit', 30000)
        H.note('shown_again', nextedit.get() ~= nil)
        H.note('marks_again', #marks())
        -- A line typed above area's definition: the suggestion's place and text are as they were.
        vim.api.nvim_feedkeys('ggO# Shapes.' .. vim.keycode('<Esc>'), 'nx', false)
        H.wait(function() return answered == 2 end, 'the answer after typing', 30000)
        H.note('shown_after_typing', nextedit.get() ~= nil)
        H.note('marks_after_typing', #marks())
        H.note('text', H.text())
        H.note('feedback', sent)
        """,
        {"shapes.py": SHAPES},
    )
    renamed = SHAPES.replace("def area(width,", "def area(w,")
    assert run.notes["marks_shown"] > 0
    assert run.notes["shown_after_esc"] is False
    assert run.notes["mode_after_esc"] == "n"
    assert run.notes["mapped_after"] == []
    assert run.notes["shown_again"] is False
    assert run.notes["marks_again"] == 0
    assert run.notes["shown_after_typing"] is False
    assert run.notes["marks_after_typing"] == 0
    assert run.notes["text"] == "# Shapes.\n" + renamed
    # The model was asked after the typing, and proposed the dismissed edit again.
    assert "return width * height" in next_edit_requests(nvim)[-1].prompt
    feedback = run.notes["feedback"]
    assert [f["outcome"] for f in feedback] == ["shown", "dismissed"]
    assert feedback[0]["id"] == feedback[1]["id"] != ""
    assert run.messages() == []


def test_next_edit_in_insert_mode(nvim: Neovim) -> None:
    """Typed in insert mode, as most renames are: the suggestion shows while still typing, and
    Tab, Tab go there and apply it without leaving insert mode."""
    nvim.backend.responder = next_edit_reply
    run = nvim.run(
        """
        H.open('shapes.py')
        local nextedit = require('chatls.nextedit')
        local function mode() return vim.api.nvim_get_mode().mode end
        -- Nvim waits for keys in insert mode until the last step leaves it: the scenario goes on
        -- from a timer, feeding keys as typed.
        local function after(condition, what, step)
          local deadline = vim.uv.now() + 30000
          local timer = vim.uv.new_timer()
          timer:start(10, 10, vim.schedule_wrap(function()
            local done, late = condition(), vim.uv.now() > deadline
            if not (done or late) or timer:is_closing() then
              return
            end
            timer:close()
            if done then
              step()
            else
              H.note('timed_out', what)
              vim.api.nvim_feedkeys(vim.keycode('<Esc>'), 'n', false)
            end
          end))
        end
        local function keys(typed)
          vim.api.nvim_feedkeys(vim.keycode(typed), 'm', false)
        end
        after(function() return nextedit.get() ~= nil end, 'the suggestion', function()
          H.note('mode_shown', mode())
          H.note('text_shown', H.text())
          keys('<Tab>')
          after(function() return vim.api.nvim_win_get_cursor(0)[1] == 2 end, 'the jump', function()
            H.note('cursor_after_jump', vim.api.nvim_win_get_cursor(0))
            keys('<Tab>')
            after(function() return nextedit.get() == nil end, 'the edit', function()
              H.note('mode_accepted', mode())
              H.note('text', H.text())
              keys('<Esc>')
            end)
          end)
        end)
        vim.api.nvim_win_set_cursor(0, { 1, 9 })
        vim.api.nvim_feedkeys('ciww', 'nx!', false)
        H.note('mode_after', mode())
        """,
        {"shapes.py": SHAPES},
    )
    renamed = SHAPES.replace("def area(width,", "def area(w,")
    assert "timed_out" not in run.notes
    assert run.notes["mode_shown"] == "i"
    assert run.notes["text_shown"] == renamed
    assert run.notes["cursor_after_jump"][0] == 2
    assert run.notes["mode_accepted"] == "i"
    assert run.notes["text"] == renamed.replace("return width * height", "return w * height")
    assert run.notes["mode_after"] == "n"
