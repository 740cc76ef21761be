"""One small file per language with a grammar, each holding the same cast of definitions: a
container (class, ``impl``, namespace, object, module or table) with a documented or decorated
method ``pop`` and a placeholder method ``peek``, and a top-level function ``total`` with a
function ``helper`` nested in it where the language allows. Every definition says ``count`` on
the line the gestures use, so an edit that reaches past its target shows.

The gesture matrix and the property test find everything here by text search, never through
chatls's own code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """A definition in a sample, by the exact text of its lines (indentation included)."""

    qualified: str
    first: str
    """The line its lead starts on: its doc comment, attribute or decorator, else ``key``."""
    key: str
    """The line its declaration starts on (its keyword)."""
    last: str
    """Its last line (the first line after ``key`` that is exactly this)."""
    body: str
    """A line in its own body (not in a nested definition) that says ``count``."""
    signature: tuple[str, str] | None = None
    """Add types: its signature line as written, and with type annotations."""
    code: str = ""
    """The line its code starts on when that is not ``key``: decorators and annotations that
    the language's syntax makes part of the definition (Python, Java, C#, Kotlin, Swift, PHP,
    Scala); Rust's attributes and TypeScript's member decorators stand beside it instead."""

    @property
    def name(self) -> str:
        return self.qualified.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Sample:
    language: str
    file: str
    text: str
    subjects: tuple[Subject, ...]
    top_level: tuple[str, ...]
    """The qualified names of the top-level definitions, in order."""
    peek: Subject | None = None
    """A method whose body is the language's placeholder (Implement's target)."""
    implemented: str = ""
    """``peek`` as a good model writes it (the whole definition, keyword line to last)."""
    whole: Subject | None = None
    """The one top-level definition, when there is one (what a whole-file selection means)."""


PY = '''import math


class Stack:
    """A stack of numbers."""

    count = 0

    @staticmethod
    def pop(items, count=1):
        if count > len(items):
            raise IndexError("pop from an empty stack")
        return items[-count:]

    def peek(self):
        pass


def total(values):
    count = 0

    def helper(value):
        return value * 2 + count

    for value in values:
        count += helper(value)
    return count
'''

TS = """import { readFileSync } from "fs";

export class Stack {
  count = 0;

  /**
   * Old words.
   */
  @logged
  pop(items: number[], count: number): number[] {
    if (count > items.length) {
      throw new Error("pop from an empty stack");
    }
    return items.slice(-count);
  }

  peek(): number {
    throw new Error("not implemented");
  }
}

export function total(values) {
  let count = 0;
  function helper(value) {
    return value * 2 + count;
  }
  for (const value of values) {
    count += helper(value);
  }
  return count;
}
"""

JS = """const fs = require("fs");

class Stack {
  count = 0;

  /** Old words. */
  pop(items, count) {
    if (count > items.length) {
      throw new Error("pop from an empty stack");
    }
    return items.slice(-count);
  }

  peek() {
    throw new Error("not implemented");
  }
}

export function total(values) {
  let count = 0;
  const helper = (value) => {
    return value * 2 + count;
  };
  for (const value of values) {
    count += helper(value);
  }
  return count;
}
"""

GO = """package stack

import "errors"

// Stack holds numbers.
type Stack struct {
\tcount int
\titems []int
}

// Pop takes the last count items.
func (s *Stack) Pop(count int) ([]int, error) {
\tif count > len(s.items) {
\t\treturn nil, errors.New("pop from an empty stack")
\t}
\treturn s.items[len(s.items)-count:], nil
}

func (s *Stack) Peek() int {
\tpanic("not implemented")
}

func Total(values []int) int {
\tcount := 0
\thelper := func(value int) int {
\t\treturn value*2 + count
\t}
\tfor _, value := range values {
\t\tcount += helper(value)
\t}
\treturn count
}
"""

RUST = """use std::fmt;

pub struct Stack {
    count: usize,
    items: Vec<i32>,
}

impl Stack {
    /// Old words.
    #[inline]
    pub fn pop(&mut self, count: usize) -> Vec<i32> {
        let at = self.items.len() - count;
        self.items.split_off(at)
    }

    pub fn peek(&self) -> i32 {
        todo!()
    }
}

pub fn total(values: &[i32]) -> i32 {
    let mut count = 0;
    fn helper(value: i32) -> i32 {
        let count = value * 2;
        count
    }
    for value in values {
        count += helper(*value);
    }
    count
}
"""

JAVA = """package demo;

import java.util.List;

public class Stack {
    private int count = 0;

    /**
     * Old words.
     */
    @Deprecated
    public List<Integer> pop(List<Integer> items, int count) {
        if (count > items.size()) {
            throw new IllegalStateException("pop from an empty stack");
        }
        return items.subList(items.size() - count, items.size());
    }

    public int peek() {
        throw new UnsupportedOperationException();
    }

    static class Totals {
        static int total(int[] values) {
            int count = 0;
            for (int value : values) {
                count += value * 2;
            }
            return count;
        }
    }
}
"""

CSHARP = """using System;
using System.Collections.Generic;

namespace Demo
{
    public class Stack
    {
        private int count = 0;

        /// <summary>Old words.</summary>
        [Obsolete]
        public List<int> Pop(List<int> items, int count)
        {
            if (count > items.Count)
            {
                throw new InvalidOperationException("pop from an empty stack");
            }
            return items.GetRange(items.Count - count, count);
        }

        public int Peek()
        {
            throw new NotImplementedException();
        }

        public static int Total(int[] values)
        {
            int count = 0;
            int Helper(int value)
            {
                return value * 2 + count;
            }
            foreach (var value in values)
            {
                count += Helper(value);
            }
            return count;
        }
    }
}
"""

C = """#include <stdlib.h>

struct stack {
    int count;
    int *items;
};

/** Old words. */
int *pop(struct stack *s, int count) {
    if (count > s->count) {
        return NULL;
    }
    s->count -= count;
    return s->items + s->count;
}

int peek(struct stack *s) {
}

int total(const int *values, int n) {
    int count = 0;
    for (int i = 0; i < n; i++) {
        count += values[i] * 2;
    }
    return count;
}
"""

CPP = """#include <vector>

namespace demo {

class Stack {
public:
    int count = 0;

    /** Old words. */
    std::vector<int> pop(std::vector<int> &items, int count) {
        if (count > static_cast<int>(items.size())) {
            return {};
        }
        return std::vector<int>(items.end() - count, items.end());
    }

    int peek() {
        throw std::logic_error("not implemented");
    }
};

int total(const std::vector<int> &values) {
    int count = 0;
    auto helper = [&](int value) {
        return value * 2 + count;
    };
    for (int value : values) {
        count += helper(value);
    }
    return count;
}

}  // namespace demo
"""

KOTLIN = """package demo

import kotlin.math.max

class Stack {
    var count = 0

    /**
     * Old words.
     */
    @Deprecated("use take")
    fun pop(items: List<Int>, count: Int): List<Int> {
        if (count > items.size) {
            throw IllegalStateException("pop from an empty stack")
        }
        return items.takeLast(count)
    }

    fun peek(): Int {
        TODO()
    }
}

fun total(values: List<Int>): Int {
    var count = 0
    fun helper(value: Int): Int {
        return value * 2 + count
    }
    for (value in values) {
        count += helper(value)
    }
    return count
}
"""

SWIFT = """import Foundation

class Stack {
    var count = 0

    /// Old words.
    @discardableResult
    func pop(items: [Int], count: Int) -> [Int] {
        if count > items.count {
            return []
        }
        return Array(items.suffix(count))
    }

    func peek() -> Int {
        fatalError("not implemented")
    }
}

func total(values: [Int]) -> Int {
    var count = 0
    func helper(value: Int) -> Int {
        return value * 2 + count
    }
    for value in values {
        count += helper(value: value)
    }
    return count
}
"""

PHP = """<?php

namespace Demo;

class Stack
{
    private $count = 0;

    /**
     * Old words.
     */
    #[Deprecated]
    public function pop(array $items, int $count): array
    {
        if ($count > count($items)) {
            throw new \\RuntimeException("pop from an empty stack");
        }
        return array_slice($items, -$count);
    }

    public function peek(): int
    {
        throw new \\Exception("not implemented");
    }
}

function total(array $values): int
{
    $count = 0;
    $helper = function ($value) use (&$count) {
        return $value * 2 + $count;
    };
    foreach ($values as $value) {
        $count += $helper($value);
    }
    return $count;
}
"""

RUBY = """require "set"

module Demo
  class Stack
    attr_reader :count

    # Old words.
    def pop(items, count)
      if count > items.length
        raise IndexError, "pop from an empty stack"
      end
      items.last(count)
    end

    def peek
      raise NotImplementedError
    end
  end

  def self.total(values)
    count = 0
    helper = lambda do |value|
      value * 2 + count
    end
    values.each { |value| count += helper.call(value) }
    count
  end
end
"""

LUA = """local util = require("util")

local Stack = {}
Stack.count = 0

--- Old words.
function Stack.pop(items, count)
  if count > #items then
    error("pop from an empty stack")
  end
  return { table.unpack(items, #items - count + 1) }
end

function Stack.peek(self)
  error("not implemented")
end

local function total(values)
  local count = 0
  local function helper(value)
    return value * 2 + count
  end
  for _, value in ipairs(values) do
    count = count + helper(value)
  end
  return count
end

return Stack
"""

BASH = """#!/usr/bin/env bash
source ./lib.sh

count=0

# Old words.
pop() {
  local count="$1"
  if [ "$count" -gt "$#" ]; then
    echo "pop from an empty stack" >&2
    return 1
  fi
  shift
  echo "$@"
}

peek() {
  echo "not implemented" >&2
  return 1
}

total() {
  local count=0
  helper() {
    echo $(( $1 * 2 + count ))
  }
  for value in "$@"; do
    count=$(( count + $(helper "$value") ))
  done
  echo "$count"
}
"""

SCALA = """package demo

import scala.math.max

object Stack {
  var count = 0

  /** Old words. */
  @deprecated("use take", "1.0")
  def pop(items: List[Int], count: Int): List[Int] = {
    if (count > items.length) {
      throw new IllegalStateException("pop from an empty stack")
    }
    items.takeRight(count)
  }

  def peek(): Int = {
    ???
  }

  def total(values: List[Int]): Int = {
    var count = 0
    def helper(value: Int): Int = {
      value * 2 + count
    }
    for (value <- values) {
      count += helper(value)
    }
    count
  }
}
"""


def _s(
    qualified: str,
    first: str,
    key: str,
    last: str,
    body: str,
    signature: tuple[str, str] | None = None,
    code: str = "",
) -> Subject:
    return Subject(qualified, first, key, last, body, signature, code or key)


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "python",
        "stack.py",
        PY,
        (
            _s(
                "Stack.pop",
                "    @staticmethod",
                "    def pop(items, count=1):",
                "        return items[-count:]",
                "        if count > len(items):",
                (
                    "    def pop(items, count=1):",
                    "    def pop(items: list[int], count: int = 1) -> list[int]:",
                ),
                code="    @staticmethod",
            ),
            _s(
                "total",
                "def total(values):",
                "def total(values):",
                "    return count",
                "        count += helper(value)",
                ("def total(values):", "def total(values: list[int]) -> int:"),
            ),
            _s(
                "total.helper",
                "    def helper(value):",
                "    def helper(value):",
                "        return value * 2 + count",
                "        return value * 2 + count",
                ("    def helper(value):", "    def helper(value: int) -> int:"),
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "    def peek(self):",
            "    def peek(self):",
            "        pass",
            "        pass",
        ),
        "    def peek(self):\n        return self.count\n",
    ),
    Sample(
        "typescript",
        "stack.ts",
        TS,
        (
            _s(
                "Stack.pop",
                "  /**",
                "  pop(items: number[], count: number): number[] {",
                "  }",
                "    if (count > items.length) {",
            ),
            _s(
                "total",
                "export function total(values) {",
                "export function total(values) {",
                "}",
                "    count += helper(value);",
                (
                    "export function total(values) {",
                    "export function total(values: number[]): number {",
                ),
            ),
            _s(
                "total.helper",
                "  function helper(value) {",
                "  function helper(value) {",
                "  }",
                "    return value * 2 + count;",
                ("  function helper(value) {", "  function helper(value: number): number {"),
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "  peek(): number {",
            "  peek(): number {",
            "  }",
            '    throw new Error("not implemented");',
        ),
        "  peek(): number {\n    return this.count;\n  }\n",
    ),
    Sample(
        "javascript",
        "stack.js",
        JS,
        (
            _s(
                "Stack.pop",
                "  /** Old words. */",
                "  pop(items, count) {",
                "  }",
                "    if (count > items.length) {",
            ),
            _s(
                "total",
                "export function total(values) {",
                "export function total(values) {",
                "}",
                "    count += helper(value);",
            ),
            _s(
                "total.helper",
                "  const helper = (value) => {",
                "  const helper = (value) => {",
                "  };",
                "    return value * 2 + count;",
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "  peek() {",
            "  peek() {",
            "  }",
            '    throw new Error("not implemented");',
        ),
        "  peek() {\n    return this.count;\n  }\n",
    ),
    Sample(
        "go",
        "stack.go",
        GO,
        (
            _s(
                "Stack.Pop",
                "// Pop takes the last count items.",
                "func (s *Stack) Pop(count int) ([]int, error) {",
                "}",
                "\tif count > len(s.items) {",
            ),
            _s(
                "Total",
                "func Total(values []int) int {",
                "func Total(values []int) int {",
                "}",
                "\t\tcount += helper(value)",
            ),
        ),
        ("Stack", "Stack.Pop", "Stack.Peek", "Total"),
        _s(
            "Stack.Peek",
            "func (s *Stack) Peek() int {",
            "func (s *Stack) Peek() int {",
            "}",
            '\tpanic("not implemented")',
        ),
        "func (s *Stack) Peek() int {\n\treturn s.count\n}\n",
    ),
    Sample(
        "rust",
        "stack.rs",
        RUST,
        (
            _s(
                "Stack.pop",
                "    /// Old words.",
                "    pub fn pop(&mut self, count: usize) -> Vec<i32> {",
                "    }",
                "        let at = self.items.len() - count;",
            ),
            _s(
                "total",
                "pub fn total(values: &[i32]) -> i32 {",
                "pub fn total(values: &[i32]) -> i32 {",
                "}",
                "        count += helper(*value);",
            ),
            _s(
                "total.helper",
                "    fn helper(value: i32) -> i32 {",
                "    fn helper(value: i32) -> i32 {",
                "    }",
                "        let count = value * 2;",
            ),
        ),
        ("Stack", "Stack", "total"),
        _s(
            "Stack.peek",
            "    pub fn peek(&self) -> i32 {",
            "    pub fn peek(&self) -> i32 {",
            "    }",
            "        todo!()",
        ),
        "    pub fn peek(&self) -> i32 {\n        self.count as i32\n    }\n",
    ),
    Sample(
        "java",
        "Stack.java",
        JAVA,
        (
            _s(
                "Stack.pop",
                "    /**",
                "    public List<Integer> pop(List<Integer> items, int count) {",
                "    }",
                "        if (count > items.size()) {",
                code="    @Deprecated",
            ),
            _s(
                "Stack.Totals.total",
                "        static int total(int[] values) {",
                "        static int total(int[] values) {",
                "        }",
                "                count += value * 2;",
            ),
        ),
        ("Stack",),
        _s(
            "Stack.peek",
            "    public int peek() {",
            "    public int peek() {",
            "    }",
            "        throw new UnsupportedOperationException();",
        ),
        "    public int peek() {\n        return count;\n    }\n",
        whole=_s(
            "Stack",
            "public class Stack {",
            "public class Stack {",
            "}",
            "    private int count = 0;",
        ),
    ),
    Sample(
        "csharp",
        "Stack.cs",
        CSHARP,
        (
            _s(
                "Stack.Pop",
                "        /// <summary>Old words.</summary>",
                "        public List<int> Pop(List<int> items, int count)",
                "        }",
                "            if (count > items.Count)",
                code="        [Obsolete]",
            ),
            _s(
                "Stack.Total",
                "        public static int Total(int[] values)",
                "        public static int Total(int[] values)",
                "        }",
                "                count += Helper(value);",
            ),
            _s(
                "Stack.Total.Helper",
                "            int Helper(int value)",
                "            int Helper(int value)",
                "            }",
                "                return value * 2 + count;",
            ),
        ),
        ("Stack",),
        _s(
            "Stack.Peek",
            "        public int Peek()",
            "        public int Peek()",
            "        }",
            "            throw new NotImplementedException();",
        ),
        "        public int Peek()\n        {\n            return count;\n        }\n",
        whole=_s(
            "Stack",
            "    public class Stack",
            "    public class Stack",
            "    }",
            "        private int count = 0;",
        ),
    ),
    Sample(
        "c",
        "stack.c",
        C,
        (
            _s(
                "pop",
                "/** Old words. */",
                "int *pop(struct stack *s, int count) {",
                "}",
                "    if (count > s->count) {",
            ),
            _s(
                "total",
                "int total(const int *values, int n) {",
                "int total(const int *values, int n) {",
                "}",
                "        count += values[i] * 2;",
            ),
        ),
        ("stack", "pop", "peek", "total"),
        _s(
            "peek",
            "int peek(struct stack *s) {",
            "int peek(struct stack *s) {",
            "}",
            "int peek(struct stack *s) {",
        ),
        "int peek(struct stack *s) {\n    return s->items[s->count - 1];\n}\n",
    ),
    Sample(
        "cpp",
        "stack.cpp",
        CPP,
        (
            _s(
                "Stack.pop",
                "    /** Old words. */",
                "    std::vector<int> pop(std::vector<int> &items, int count) {",
                "    }",
                "        if (count > static_cast<int>(items.size())) {",
            ),
            _s(
                "total",
                "int total(const std::vector<int> &values) {",
                "int total(const std::vector<int> &values) {",
                "}",
                "        count += helper(value);",
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "    int peek() {",
            "    int peek() {",
            "    }",
            '        throw std::logic_error("not implemented");',
        ),
        "    int peek() {\n        return count;\n    }\n",
    ),
    Sample(
        "kotlin",
        "Stack.kt",
        KOTLIN,
        (
            _s(
                "Stack.pop",
                "    /**",
                "    fun pop(items: List<Int>, count: Int): List<Int> {",
                "    }",
                "        if (count > items.size) {",
                code='    @Deprecated("use take")',
            ),
            _s(
                "total",
                "fun total(values: List<Int>): Int {",
                "fun total(values: List<Int>): Int {",
                "}",
                "        count += helper(value)",
            ),
            _s(
                "total.helper",
                "    fun helper(value: Int): Int {",
                "    fun helper(value: Int): Int {",
                "    }",
                "        return value * 2 + count",
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "    fun peek(): Int {",
            "    fun peek(): Int {",
            "    }",
            "        TODO()",
        ),
        "    fun peek(): Int {\n        return count\n    }\n",
    ),
    Sample(
        "swift",
        "Stack.swift",
        SWIFT,
        (
            _s(
                "Stack.pop",
                "    /// Old words.",
                "    func pop(items: [Int], count: Int) -> [Int] {",
                "    }",
                "        if count > items.count {",
                code="    @discardableResult",
            ),
            _s(
                "total",
                "func total(values: [Int]) -> Int {",
                "func total(values: [Int]) -> Int {",
                "}",
                "        count += helper(value: value)",
            ),
            _s(
                "total.helper",
                "    func helper(value: Int) -> Int {",
                "    func helper(value: Int) -> Int {",
                "    }",
                "        return value * 2 + count",
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "    func peek() -> Int {",
            "    func peek() -> Int {",
            "    }",
            '        fatalError("not implemented")',
        ),
        "    func peek() -> Int {\n        return count\n    }\n",
    ),
    Sample(
        "php",
        "Stack.php",
        PHP,
        (
            _s(
                "Stack.pop",
                "    /**",
                "    public function pop(array $items, int $count): array",
                "    }",
                "        if ($count > count($items)) {",
                code="    #[Deprecated]",
            ),
            _s(
                "total",
                "function total(array $values): int",
                "function total(array $values): int",
                "}",
                "        $count += $helper($value);",
            ),
        ),
        ("Stack", "total"),
        _s(
            "Stack.peek",
            "    public function peek(): int",
            "    public function peek(): int",
            "    }",
            '        throw new \\Exception("not implemented");',
        ),
        "    public function peek(): int\n    {\n        return $this->count;\n    }\n",
    ),
    Sample(
        "ruby",
        "stack.rb",
        RUBY,
        (
            _s(
                "Demo.Stack.pop",
                "    # Old words.",
                "    def pop(items, count)",
                "    end",
                "      if count > items.length",
            ),
            _s(
                "Demo.total",
                "  def self.total(values)",
                "  def self.total(values)",
                "  end",
                "    count = 0",
            ),
        ),
        ("Demo",),
        whole=_s("Demo", "module Demo", "module Demo", "end", "    attr_reader :count"),
    ),
    Sample(
        "lua",
        "stack.lua",
        LUA,
        (
            _s(
                "Stack.pop",
                "--- Old words.",
                "function Stack.pop(items, count)",
                "end",
                "  if count > #items then",
            ),
            _s(
                "total",
                "local function total(values)",
                "local function total(values)",
                "end",
                "    count = count + helper(value)",
            ),
            _s(
                "total.helper",
                "  local function helper(value)",
                "  local function helper(value)",
                "  end",
                "    return value * 2 + count",
            ),
        ),
        ("Stack.pop", "Stack.peek", "total"),
    ),
    Sample(
        "shellscript",
        "stack.sh",
        BASH,
        (
            _s(
                "pop",
                "# Old words.",
                "pop() {",
                "}",
                '  if [ "$count" -gt "$#" ]; then',
            ),
            _s(
                "total",
                "total() {",
                "total() {",
                "}",
                '    count=$(( count + $(helper "$value") ))',
            ),
            _s(
                "total.helper",
                "  helper() {",
                "  helper() {",
                "  }",
                "    echo $(( $1 * 2 + count ))",
            ),
        ),
        ("pop", "peek", "total"),
    ),
    Sample(
        "scala",
        "Stack.scala",
        SCALA,
        (
            _s(
                "Stack.pop",
                "  /** Old words. */",
                "  def pop(items: List[Int], count: Int): List[Int] = {",
                "  }",
                "    if (count > items.length) {",
                code='  @deprecated("use take", "1.0")',
            ),
            _s(
                "Stack.total",
                "  def total(values: List[Int]): Int = {",
                "  def total(values: List[Int]): Int = {",
                "  }",
                "      count += helper(value)",
            ),
            _s(
                "Stack.total.helper",
                "    def helper(value: Int): Int = {",
                "    def helper(value: Int): Int = {",
                "    }",
                "      value * 2 + count",
            ),
        ),
        ("Stack",),
        _s("Stack.peek", "  def peek(): Int = {", "  def peek(): Int = {", "  }", "    ???"),
        "  def peek(): Int = {\n    count\n  }\n",
        whole=_s("Stack", "object Stack {", "object Stack {", "}", "  var count = 0"),
    ),
)
