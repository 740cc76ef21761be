"""Emacs 28 with eglot 1.9 (batch mode) and clients/emacs/chatls.el, against the chatls
executable and the scripted backend.

eglot has no codeAction/resolve, so every action runs as a command and the server applies its
edit with workspace/applyEdit. eglot does not negotiate a position encoding: positions are
UTF-16, which the multi-byte line below exercises.
"""

from __future__ import annotations

from chatls_testing.samples import PY
from chatls_testing.scripted_backend import Chat
from tests.editors.conftest import Emacs, default_settings

TOTAL = """def total(items):
    s = "naïve 😀"; result = sum_all(items, 0)
    return result
"""


def test_code_actions_run_as_commands(emacs: Emacs) -> None:
    emacs.backend.script(
        Chat("```python\nresult = 0\nfor item in items:\n    result += item\n```"),
        Chat("Computes the **area** of a circle."),
    )
    run = emacs.run(
        """
        (chatls-test-open "a.py")
        (chatls-test-until-changed
         (lambda ()
           (eglot-code-actions (chatls-test-pos 9 0) (chatls-test-pos 12 0)
                               "refactor.rewrite.chatls.refactor" t))
         "the Refactor code action")
        (chatls-test-note 'after_refactor (chatls-test-text))
        (eglot-code-actions (chatls-test-pos 5 4) (chatls-test-pos 5 26)
                            "refactor.chatls.explain" t)
        (chatls-test-wait #'chatls-test-explanation "the explanation in *chatls*")
        (chatls-test-note 'explanation (chatls-test-explanation))
        """,
        {"a.py": PY},
    )
    assert run.notes["after_refactor"] == PY.replace("result = result + item", "result += item")
    assert run.notes["explanation"] == "Computes the **area** of a circle."
    # chatls.el runs Explain quietly and shows the answer in *chatls* instead of a message.
    assert run.messages() == []
    assert "return math.pi * r * r" in emacs.backend.requests[1].prompt


def test_commands_edit_the_buffer(emacs: Emacs) -> None:
    emacs.backend.script(
        Chat("```python\nsum(items)\n```"),
        Chat("Sum the items."),
        Chat("Adds up the items."),
        Chat(
            '```python\ndef total(items):\n    """Sum the items."""\n    s = "naïve 😀"\n'
            "    return sum(items)\n```"
        ),
    )
    run = emacs.run(
        """
        (chatls-test-open "t.py")
        (goto-char (point-min))
        (search-forward "sum_all(items, 0)")
        (let ((beg (match-beginning 0)) (end (match-end 0)))
          (chatls-test-until-changed
           (lambda () (chatls-refactor beg end "Use the builtin sum")) "chatls-refactor"))
        (chatls-test-note 'after_refactor (chatls-test-text))

        (chatls-test-until-changed
         (lambda () (chatls-docstring (chatls-test-pos 3 4))) "chatls-docstring")
        (chatls-test-note 'after_docstring (chatls-test-text))

        (chatls-explain (chatls-test-pos 4 4) (chatls-test-pos 4 17))
        (chatls-test-wait #'chatls-test-explanation "the explanation in *chatls*")
        (chatls-test-note 'explanation (chatls-test-explanation))

        ;; A diagnostic from a Flymake backend that is not eglot's.
        (defun chatls-test-linter (report &rest _)
          (save-excursion
            (goto-char (point-min))
            (search-forward "return result")
            (funcall report (list (flymake-make-diagnostic
                                   (current-buffer) (match-beginning 0) (match-end 0)
                                   :warning "Return the sum directly")))))
        (add-hook 'flymake-diagnostic-functions #'chatls-test-linter nil t)
        (flymake-start)
        (chatls-test-wait (lambda () (flymake-diagnostics)) "the test linter's diagnostic")
        (chatls-test-until-changed
         (lambda () (chatls-fix (chatls-test-pos 4 6))) "chatls-fix")
        (chatls-test-note 'after_fix (chatls-test-text))
        """,
        {"t.py": TOTAL},
    )
    after_refactor = TOTAL.replace("sum_all(items, 0)", "sum(items)")
    assert run.notes["after_refactor"] == after_refactor
    assert "Task: Use the builtin sum" in emacs.backend.requests[0].prompt
    after_docstring = after_refactor.replace(
        "def total(items):\n", 'def total(items):\n    """Sum the items."""\n'
    )
    assert run.notes["after_docstring"] == after_docstring
    assert run.notes["explanation"] == "Adds up the items."
    assert "return result" in emacs.backend.requests[2].prompt
    assert run.notes["after_fix"] == (
        'def total(items):\n    """Sum the items."""\n    s = "naïve 😀"\n    return sum(items)\n'
    )
    fix_prompt = emacs.backend.requests[3].prompt
    assert "Return the sum directly" in fix_prompt and "chatls-test-linter" in fix_prompt
    assert run.messages() == []


def test_refine_and_ask_keep_the_conversation(emacs: Emacs) -> None:
    replies = [
        "```python\nreturn math.pi * r ** 2\n```",
        "```python\nreturn math.pi * math.pow(r, 2)\n```",
        "```python\nreturn math.pi * r ** 2\n```",
    ]
    answers = ["The area of a circle.", "Still positive: `r` is squared."]
    emacs.backend.script(*(Chat(reply) for reply in replies), *(Chat(a) for a in answers))
    run = emacs.run(
        """
        (chatls-test-open "a.py")
        (chatls-test-until-changed
         (lambda ()
           (eglot-code-actions (chatls-test-pos 5 4) (chatls-test-pos 5 26)
                               "refactor.rewrite.chatls.refactor" t))
         "the Refactor code action")
        (chatls-test-note 'after_refactor (chatls-test-text))
        ;; The Refine... code action carries no instruction: chatls.el asks for one.
        (cl-letf (((symbol-function 'read-string)
                   (lambda (prompt &rest _) (chatls-test-note 'prompt prompt) "Use math.pow")))
          (chatls-test-until-changed
           (lambda ()
             (eglot-code-actions (chatls-test-pos 5 10) (chatls-test-pos 5 10)
                                 "refactor.rewrite.chatls.refine" t))
           "the Refine code action"))
        (chatls-test-note 'after_refine (chatls-test-text))
        ;; M-x chatls-refine away from the change: chatls's latest change in the buffer.
        (chatls-test-until-changed
         (lambda () (chatls-refine (point-min) (point-min) "Keep the ** operator"))
         "chatls-refine")
        (chatls-test-note 'after_second_refine (chatls-test-text))
        (chatls-ask (chatls-test-pos 5 4) (chatls-test-pos 5 4) "What does it return?")
        (chatls-test-wait (lambda () (equal (chatls-test-explanation) "The area of a circle."))
                          "the answer in *chatls*")
        (chatls-ask (chatls-test-pos 5 8) (chatls-test-pos 5 8) "What if r is negative?")
        (chatls-test-wait
         (lambda () (equal (chatls-test-explanation) "Still positive: `r` is squared."))
         "the follow-up's answer in *chatls*")
        """,
        {"a.py": PY},
    )
    assert run.notes["after_refactor"] == PY.replace("r * r", "r ** 2")
    assert run.notes["prompt"] == "chatls refine (instruction): "
    assert run.notes["after_refine"] == PY.replace("r * r", "math.pow(r, 2)")
    assert run.notes["after_second_refine"] == run.notes["after_refactor"]
    refactor = emacs.backend.requests[0].messages
    refine_format = (
        "\n\nAnswer with the complete new version of the code you wrote last, in one fenced "
        "code block, and nothing else."
    )
    assert emacs.backend.requests[2].messages == [
        *refactor,
        {"role": "assistant", "content": replies[0]},
        {"role": "user", "content": "Use math.pow" + refine_format},
        {"role": "assistant", "content": replies[1]},
        {"role": "user", "content": "Keep the ** operator" + refine_format},
    ]
    ask = emacs.backend.requests[3].messages
    assert ask[-1]["content"].endswith("What does it return?")
    assert emacs.backend.requests[4].messages == [
        *ask,
        {"role": "assistant", "content": answers[0]},
        {"role": "user", "content": "What if r is negative?"},
    ]
    assert run.messages() == []


def test_implement_and_translate(emacs: Emacs) -> None:
    emacs.backend.script(
        Chat("```python\ndef area(w, h):\n    return w * h\n```"),
        Chat("```go\nfunc Area(w, h float64) float64 {\n\treturn w * h\n}\n```"),
    )
    run = emacs.run(
        """
        (chatls-test-open "a.py")
        (chatls-test-until-changed
         (lambda () (chatls-implement (chatls-test-pos 1 4))) "chatls-implement")
        (chatls-test-note 'implemented (chatls-test-text))
        (chatls-translate (point-min) (point-max) "go")
        (chatls-test-wait (lambda () (get-buffer "*chatls a.go*")) "the translation buffer")
        (chatls-test-note 'translation
                          (with-current-buffer "*chatls a.go*" (buffer-string)))
        (chatls-test-note 'source_after (chatls-test-text))
        """,
        {"a.py": "def area(w, h):\n    pass\n"},
    )
    assert run.notes["implemented"] == "def area(w, h):\n    return w * h\n"
    assert run.notes["translation"] == "func Area(w, h float64) float64 {\n\treturn w * h\n}\n"
    assert run.notes["source_after"] == "def area(w, h):\n    return w * h\n"
    assert run.messages() == []


def test_history_lists_the_actions_and_shows_one(emacs: Emacs) -> None:
    emacs.backend.script(Chat("```python\nsum(items)\n```"), Chat("Adds up the items."))
    run = emacs.run(
        """
        (chatls-test-open "t.py")
        (let (said)
          (cl-letf (((symbol-function 'message)
                     (lambda (format &rest args) (push (apply #'format format args) said))))
            (chatls-history))
          (chatls-test-note 'empty (vconcat said)))
        (goto-char (point-min))
        (search-forward "sum_all(items, 0)")
        (let ((beg (match-beginning 0)) (end (match-end 0)))
          (chatls-test-until-changed
           (lambda () (chatls-refactor beg end "Use the builtin sum")) "chatls-refactor"))
        (chatls-explain (chatls-test-pos 2 4) (chatls-test-pos 2 20))
        (chatls-test-wait #'chatls-test-explanation "the explanation in *chatls*")
        ;; The server writes its history off the request's path: wait for both records.
        (let ((path (expand-file-name "chatls/history.jsonl" (getenv "XDG_STATE_HOME"))))
          (chatls-test-wait
           (lambda ()
             (and (file-exists-p path)
                  (= 2 (length (with-temp-buffer
                                 (insert-file-contents path)
                                 (split-string (buffer-string) "\n" t))))))
           "two records in the history"))
        (let (listed)
          (cl-letf (((symbol-function 'completing-read)
                     (lambda (_prompt table &rest _)
                       (setq listed (all-completions "" table))
                       (cadr listed))))
            (chatls-history))
          (chatls-test-note 'listed (vconcat listed)))
        (chatls-test-note 'shown (with-current-buffer "*chatls history*"
                                   (buffer-substring-no-properties (point-min) (point-max))))
        (chatls-test-note 'read_only (with-current-buffer "*chatls history*" buffer-read-only))
        (chatls-test-note 'current (buffer-name (window-buffer (selected-window))))
        """,
        {"t.py": TOTAL},
    )
    assert run.notes["empty"] == ["chatls: no actions in the history yet"]
    # Newest first: what, where, what became of it, when.
    assert run.notes["listed"] == [
        "Explain t.py:2  answered, just now",
        "Refactor t.py:2  applied, just now",
    ]
    shown = run.notes["shown"]
    assert shown.startswith("# Refactor t.py:2\n\napplied · ")
    reply = shown.index("## Reply\n\n```python\nsum(items)\n```\n")
    request = shown.index("## Request\n\n### system\n")
    assert reply < request and "Task: Use the builtin sum" in shown[request:]
    assert run.notes["read_only"] is True
    assert run.notes["current"] == "*chatls history*"


def test_history_says_when_it_is_off(emacs: Emacs) -> None:
    run = emacs.run(
        """
        ;; Here, not in the JSON settings: the harness reads JSON false as :false, which eglot
        ;; cannot send.
        (setq chatls-settings (plist-put chatls-settings :history '(:enabled :json-false)))
        (chatls-test-open "a.py")
        (let (said)
          (cl-letf (((symbol-function 'message)
                     (lambda (format &rest args) (push (apply #'format format args) said)))
                    ((symbol-function 'completing-read)
                     (lambda (&rest _) (error "Nothing to pick from"))))
            (chatls-history))
          (chatls-test-note 'said (vconcat said)))
        """,
        {"a.py": PY},
    )
    assert run.notes["said"] == [
        "chatls: the history is off (history.enabled), or this workspace is not trusted"
    ]


GREET = "def greet(name):\n    return 'hi ' + name\n"


def test_commands_come_from_the_published_actions(emacs: Emacs) -> None:
    """Every action the server publishes is a `chatls-<id>` command, custom actions included,
    with nothing in chatls.el naming them; a settings change that adds or removes a custom
    action adds or removes its command, and `chatls-action` completes over the ids."""
    from chatls.actions.registry import builtin

    emacs.backend.script(
        Chat("It greets."),
        Chat("```python\ndef greet(name):\n    return 'HI ' + name.upper()\n```"),
    )
    plain = {
        "id": "plain-words",
        "title": "In plain words",
        "prompt": "Say it simply.",
        "output": "markdown",
    }
    ids = [*builtin(), "plain-words"]
    run = emacs.run(
        f"""
        (chatls-test-open "a.py")
        (chatls-test-note 'defined
                          (vconcat (cl-remove-if-not
                                    (lambda (id) (commandp (intern (concat "chatls-" id))))
                                    '({" ".join(f'"{i}"' for i in ids)} "shout"))))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (chatls-test-note 'completion (vconcat collection))
                     "plain-words")))
          (goto-char (chatls-test-pos 2 4))
          (call-interactively #'chatls-action))
        (chatls-test-wait #'chatls-test-explanation "the custom answer in *chatls*")
        (chatls-test-note 'answer (chatls-test-explanation))

        (setq-default eglot-workspace-configuration
                      '(:chatls (:customActions
                                 [(:id "shout" :title "Shout"
                                   :prompt "Make the greeting loud.")])))
        (eglot-signal-didChangeConfiguration (eglot-current-server))
        (chatls-test-wait (lambda () (commandp 'chatls-shout)) "the command chatls-shout")
        (chatls-test-note 'plain_gone (not (fboundp 'chatls-plain-words)))
        (chatls-test-until-changed
         (lambda () (chatls-shout (chatls-test-pos 2 4))) "chatls-shout")
        (chatls-test-note 'shouted (chatls-test-text))

        (setq-default eglot-workspace-configuration '(:chatls (:customActions [])))
        (eglot-signal-didChangeConfiguration (eglot-current-server))
        (chatls-test-wait (lambda () (not (fboundp 'chatls-shout))) "chatls-shout to go")
        (chatls-test-note 'explain_still (commandp 'chatls-explain))
        """,
        {"a.py": GREET},
        settings={**default_settings(emacs.backend), "customActions": [plain]},
    )
    assert run.notes["defined"] == ids
    assert run.notes["completion"] == ids
    assert run.notes["answer"] == "It greets."
    assert "Say it simply." in emacs.backend.requests[0].prompt
    assert run.notes["plain_gone"] is True
    assert run.notes["shouted"] == "def greet(name):\n    return 'HI ' + name.upper()\n"
    assert "Make the greeting loud." in emacs.backend.requests[1].prompt
    assert run.notes["explain_still"] is True
    assert run.messages() == []


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


def test_docstring_on_a_region_from_the_beginning_of_a_line(emacs: Emacs) -> None:
    """A region as Emacs users mark it: from the beginning of the method's first line to the
    beginning of the line after it (point at its end). The method is documented, not the class
    and not the method after it."""
    emacs.backend.script(Chat("Take the last item off."))
    run = emacs.run(
        """
        (chatls-test-open "s.py")
        (transient-mark-mode 1)
        (goto-char (chatls-test-pos 4 0))
        (push-mark (point) t t)
        (goto-char (chatls-test-pos 6 0))
        (chatls-test-until-changed
         (lambda () (call-interactively #'chatls-docstring)) "chatls-docstring on the region")
        (chatls-test-note 'text (chatls-test-text))
        """,
        {"s.py": STACK},
    )
    assert run.notes["text"] == STACK.replace(
        "    def pop(self, items):\n",
        '    def pop(self, items):\n        """Take the last item off."""\n',
    )
    assert run.messages() == []
    assert "def push" not in emacs.backend.requests[0].prompt


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


def test_review_applies_one_hunk_from_the_diff_buffer(emacs: Emacs) -> None:
    """With review.mode `always`, a Refactor of two hunks opens a diff buffer and leaves the
    file as it was; keeping the second hunk there (C-c C-a) and sending (C-c C-c) applies that
    hunk alone, through the server."""
    emacs.backend.script(Chat(f"```python\n{TYPED}```"))
    run = emacs.run(
        """
        (chatls-test-open "shapes.py")
        (let ((source (current-buffer)) review)
          (chatls-test-note 'advertised
                            (plist-get (eglot-client-capabilities (eglot-current-server))
                                       :experimental))
          (chatls-refactor (point-min) (point-max) "Add types")
          (chatls-test-wait
           (lambda ()
             (setq review (cl-find-if (lambda (b) (string-prefix-p "*chatls review" (buffer-name b)))
                                      (buffer-list))))
           "the review buffer")
          (with-current-buffer review
            (chatls-test-note 'name (buffer-name))
            (chatls-test-note 'mode (symbol-name major-mode))
            (chatls-test-note 'diff (buffer-substring-no-properties (point-min) (point-max)))
            (chatls-test-note 'hunk_at_point (get-text-property (point) 'chatls-hunk))
            ;; Point starts on the first hunk; the second is kept.
            (diff-hunk-next)
            (funcall (key-binding (kbd "C-c C-a")))
            (chatls-test-note 'kept (vconcat (mapcar #'car chatls--review-kept))))
          (chatls-test-note 'text_while_shown (with-current-buffer source (chatls-test-text)))
          ;; eglot's own confirmation, on as users have it, is not asked again for the edit
          ;; the user just accepted.
          (setq eglot-confirm-server-initiated-edits 'confirm)
          (cl-letf (((symbol-function 'y-or-n-p)
                     (lambda (prompt) (chatls-test-note 'asked prompt) nil)))
            (with-current-buffer source
              (chatls-test-until-changed
               (lambda () (with-current-buffer review (funcall (key-binding (kbd "C-c C-c")))))
               "sending the kept hunk")))
          (chatls-test-note 'review_gone (not (buffer-live-p review)))
          (chatls-test-note 'text (with-current-buffer source (chatls-test-text))))
        """,
        {"shapes.py": SHAPES},
        settings={**default_settings(emacs.backend), "review": {"mode": "always"}},
    )
    assert run.notes["advertised"] == {"chatls": {"review": True}}
    assert run.notes["name"] == "*chatls review: Refactor shapes.py*"
    assert run.notes["mode"] == "chatls-review-mode"
    assert run.notes["diff"] == (
        "--- a/shapes.py\n+++ b/shapes.py\n"
        "@@ -1,4 +1,4 @@ hunk 1 of 2\n"
        "-def area(width, height):\n"
        "+def area(width: float, height: float) -> float:\n"
        "     return width * height\n"
        " \n"
        " \n"
        "@@ -5,2 +5,2 @@ hunk 2 of 2\n"
        "-def perimeter(width, height):\n"
        "-    return 2 * width + 2 * height\n"
        "+def perimeter(width: float, height: float) -> float:\n"
        "+    return 2 * (width + height)\n"
    )
    assert run.notes["hunk_at_point"] == 0
    assert run.notes["kept"] == [1]
    assert run.notes["text_while_shown"] == SHAPES
    assert run.notes["review_gone"] is True
    assert "asked" not in run.notes
    assert run.notes["text"] == SHAPES.replace(
        "def perimeter(width, height):\n    return 2 * width + 2 * height\n",
        "def perimeter(width: float, height: float) -> float:\n    return 2 * (width + height)\n",
    )
    assert run.messages() == []


def test_review_refused_rejected_and_applied_whole(emacs: Emacs) -> None:
    """Keeping a part of a change that would not parse is refused by the server (its message
    arrives, the file stays); C-c C-k rejects a change; C-u C-c C-c applies a whole one."""
    values = "values = [\n    1,\n    2,\n]\n"
    as_set = "values = {\n    1,\n    2,\n}\n"
    emacs.backend.script(*(Chat(f"```python\n{as_set}```") for _ in range(3)))
    run = emacs.run(
        """
        (chatls-test-open "values.py")
        (let ((source (current-buffer)))
          (defun chatls-test-review ()
            (with-current-buffer source
              (chatls-refactor (point-min) (point-max) "A set"))
            (let (review)
              (chatls-test-wait
               (lambda ()
                 (setq review (cl-find-if
                               (lambda (b) (string-prefix-p "*chatls review" (buffer-name b)))
                               (buffer-list))))
               "the review buffer")
              review))
          (with-current-buffer (chatls-test-review)
            (chatls-review-keep)
            (chatls-review-send))
          (chatls-test-wait (lambda () chatls-test-messages) "the refusal")
          (chatls-test-note 'after_refusal (with-current-buffer source (chatls-test-text)))
          (with-current-buffer (chatls-test-review)
            (chatls-test-note 'key_reject (symbol-name (key-binding (kbd "C-c C-k"))))
            (chatls-review-reject))
          (let ((review (chatls-test-review)))
            (with-current-buffer review
              (chatls-test-note 'nothing_kept
                                (condition-case err (progn (chatls-review-send) nil)
                                  (user-error (cadr err)))))
            (with-current-buffer source
              (chatls-test-until-changed
               (lambda () (with-current-buffer review (chatls-review-send t)))
               "applying the whole change")))
          (chatls-test-note 'text (with-current-buffer source (chatls-test-text))))
        """,
        {"values.py": values},
        settings={**default_settings(emacs.backend), "review": "always"},
    )
    assert run.notes["after_refusal"] == values
    assert run.messages(1) == [
        "chatls: Accepting only hunk 1 of the change would leave the file with syntax errors, so "
        "nothing was applied. Accept the hunks that go with them too, or reject the change."
    ]
    assert run.notes["key_reject"] == "chatls-review-reject"
    assert run.notes["nothing_kept"].startswith("chatls: no hunk kept")
    assert run.notes["text"] == as_set
    assert len(emacs.backend.requests) == 3
