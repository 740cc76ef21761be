"""Workspace tools the model may call while it works on an action (function calling):
read-only lookups of definitions, lines, references and diagnostics, inside the workspace
folders only, never reading excluded, ignored, binary or oversized files."""
