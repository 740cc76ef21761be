"""A sample file several end-to-end and editor tests work on, and a real model's answer about
the demo's."""

PY = """import math


def area(r):
    return math.pi * r * r


def total(items):
    result = 0
    for item in items:
        result = result + item
    return result
"""


# SmolLM2's Explain of the demo's `word_count` (whole lines selected, `make demo` of 2026-12-07):
# the breakdown said twice, its bullets reworded a little the second time.
BREAKDOWN = """\
This Python function counts the number of words in a given text. It splits the input text \
into words using the `text.split()` method, then uses a dictionary to store the count of each \
word. The function returns a dictionary with the count of each word as a key.

Here's a breakdown of the code:

- The function takes a single argument `text` and returns a dictionary with the count of each word.
- The function uses a dictionary comprehension to create a new dictionary with the count of \
each word as a key.
- The function returns the dictionary with the count of each word as a key.

Here's a breakdown of the code:

- The function takes a single argument `text` and returns a dictionary with the count of each \
word as a key.
- The function uses a dictionary comprehension to create a new dictionary with the count of \
each word as a key.
- The function returns the new dictionary with the count of each word as a key.
"""


# SmolLM2 explaining semver's `replaceGTE0` (bench/quality.py's JavaScript task, whole lines
# selected, 2026-12-07): one line, looping until maxTokens (5,138 characters; the start of it).
ONE_LINE_LOOP = (
    "The JavaScript function `replaceGTE0` takes a function `comp` and an optional `options` as "
    "arguments. The function returns a new function that takes a single argument `comp` and "
    + "returns a function that takes a single argument `options` and returns a function that "
    "takes a single argument `comp` and " * 6
)


# SmolLM2's Refactor of `mean_of_positive` in demo/sample.py (lines 4-9 selected whole, maxTokens
# 400, 2026-12-07), twice; both were cut off at maxTokens. The first renames as it goes round.
DEMO_REFACTOR_LOOPS = (
    (
        "```python\n"
        "def mean_of_positive(values):\n"
        "    return statistics.mean(values)\n"
        "\n"
        "def greet(name):\n"
        '    return "Hello, " + name + "!"\n'
        "\n"
        "def mean_of_positive(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def greet(name):\n"
        "    return greet_name(name)\n"
        "\n"
        "def mean_of_positive_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list_list_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list_list_list_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list_list_list_list_list(values):\n"
        "    return sum(values) / len(values) * (values[0] + 1) if isinstance(values, str) else 0\n"
        "\n"
        "def mean_of_positive_list_list_list_list_list(values):"
    ),
    (
        "```python\n"
        "def mean_of_positive(values):\n"
        "    return statistics.mean(values)\n"
        "\n"
        "def greet(name):\n"
        '    return f"Hello, {name}!"\n'
        "\n"
        "def mean_of_positive(values):\n"
        "    return sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def greet(name):\n"
        "    return greet(name)\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values) if len(values) > 0 else 0\n"
        "\n"
        "def mean_of_positive_with_default_lambda(values):\n"
        "    return lambda: sum(values) / len(values)"
    ),
)
