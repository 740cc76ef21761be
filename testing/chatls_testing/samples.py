"""A sample file several end-to-end and editor tests work on."""

PY = """import math


def area(r):
    return math.pi * r * r


def total(items):
    result = 0
    for item in items:
        result = result + item
    return result
"""
