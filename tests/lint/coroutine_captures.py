#!/usr/bin/env python3
"""Rejects a lambda that captures by value inside a co_await expression.

GCC 12 (Debian 12's compiler) destroys such a lambda's by-value captures twice when the lambda is
a temporary of the awaited expression: `co_await retry(rule, [self](int) -> ... {...})` drops one
reference of `self` too many, and the object it keeps alive is freed while still in use (this is
what crashed the daemon in the fault soak). A lambda there may capture only by reference (`&`,
`&name`) or `this`; keep a by-value capture in a named variable or in the enclosing coroutine.

    coroutine_captures.py DIR...      exit 1 and the offending lines when any is found
    coroutine_captures.py --self-test check the checker on known good and bad snippets
"""
import pathlib
import re
import sys

LAMBDA = re.compile(r"\[([^\[\]]*)\]\s*(?:\(|->|mutable\b|\{)")
ALLOWED = re.compile(r"^(?:&\w*|this)$")


def statement_after(text: str, start: int) -> str:
    """The text from `start` to the `;` that ends the statement (brackets balanced)."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return text[start:i]
        elif c == ";" and depth == 0:
            return text[start:i]
    return text[start:]


def bad_captures(text: str):
    """(offset, capture list) of every lambda in a co_await statement capturing by value."""
    for m in re.finditer(r"\bco_await\b", text):
        stmt = statement_after(text, m.end())
        for lam in LAMBDA.finditer(stmt):
            items = [x.strip() for x in lam.group(1).split(",") if x.strip()]
            if any(not ALLOWED.match(x) for x in items):
                yield m.start(), lam.group(0)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def self_test() -> int:
    bad = [
        "co_await retry(rule, [self](int n) -> asio::awaitable<int> { co_return 1; });",
        "co_await f([x = std::move(y)]() { return 1; });",
        "auto r = co_await g(a,\n  [=](int) { return 2; });",
        "co_await h([&, copy](int) { return 0; });",
    ]
    good = [
        "co_await retry(rule, [&](int n) -> asio::awaitable<int> { co_return 1; });",
        "co_await retry(rule, [this](int) { return sleep(1); });",
        "auto [ec, n] = co_await s.async_read(buf, use_tuple);",
        "co_await f(v[3]);",
        "spawn([self]() { return self->run(); }); co_await g();",
        "co_await h([&a, this](int) { return 0; });",
    ]
    failures = [s for s in bad if not list(bad_captures(s))] + [s for s in good if list(bad_captures(s))]
    for s in failures:
        print("self-test misjudged:", s)
    return 1 if failures else 0


def main(argv) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    found = 0
    for root in argv[1:]:
        for path in sorted(pathlib.Path(root).rglob("*")):
            if path.suffix not in (".cpp", ".hpp"):
                continue
            text = strip_comments(path.read_text(encoding="utf-8", errors="replace"))
            for offset, lam in bad_captures(text):
                line = text.count("\n", 0, offset) + 1
                print(f"{path}:{line}: lambda {lam}... captures by value inside a co_await expression "
                      "(GCC 12 destroys its captures twice); capture by reference or this")
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
