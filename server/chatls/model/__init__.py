"""Talking to the model: the OpenAI Chat Completions client (the only user of the ``openai``
SDK), the choice of endpoint, and the built-in local llama.cpp server.

May import the shared leaves only.
"""
