"""What chatls's tests, benches and VS Code end-to-end run share: the scripted OpenAI-compatible
backend (``scripted_backend``), the editor stand-in that applies edits (``editor``), the backend
matrix (``matrix``), ``chatls run`` as a user runs it (``cli``), and the sample tables
(``samples``, ``gesture_samples``, ``messy_replies``, ``tool_tasks``).

Installed editable by the Makefile (``testing/pyproject.toml``), so none of its users patches
``sys.path``. pytest's fixtures stay in ``tests/conftest.py``."""
