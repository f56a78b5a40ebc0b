#!/usr/bin/env python3
"""Scans the logs of a whole test run (the files test servers write to $OBOL_TEST_LOG_DIR) for secrets.

Fails when a log line holds an API secret key (sk_test_/sk_live_ followed by the key) or any card number the tests
send: every Luhn-valid 13-19 digit number written in the tests' sources (spaces or dashes between digits allowed),
plus the PSPs' well-known test cards. Also fails when there are no logs at all, so that a broken set-up cannot pass.

Usage: scan_test_logs.py LOG_DIR [REPO_ROOT]
"""
import pathlib
import re
import sys

KEY = re.compile(r"\b[sr]k_(?:test|live)_[A-Za-z0-9]{16,}")
DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
WELL_KNOWN = {"4242424242424242", "4000056655665556", "5555555555554444", "2223003122003222", "378282246310005",
              "4111111111111111", "4000000000000002", "4000000000009995", "4000000000000077", "5454545454545454"}
SOURCES = ("*.cs", "*.mjs", "*.js", "*.json", "*.csv", "*.sh")


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_numbers(root: pathlib.Path) -> set[str]:
    found = set(WELL_KNOWN)
    for pattern in SOURCES:
        for path in (root / "tests").rglob(pattern):
            if "node_modules" in path.parts or "bin" in path.parts or "obj" in path.parts:
                continue
            for match in DIGIT_RUN.finditer(path.read_text(encoding="utf-8", errors="replace")):
                digits = re.sub(r"[ -]", "", match.group())
                if 13 <= len(digits) <= 19 and luhn(digits):
                    found.add(digits)
    return found


def main() -> int:
    log_dir = pathlib.Path(sys.argv[1])
    root = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else pathlib.Path(__file__).resolve().parent.parent)
    logs = sorted(log_dir.glob("*.log"))
    if not logs:
        print(f"log scan: no logs in {log_dir}: the test servers wrote none", file=sys.stderr)
        return 1

    cards = card_numbers(root)
    lines = 0
    leaks = []
    for path in logs:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            lines += 1
            if KEY.search(line):
                leaks.append(f"{path.name}:{number}: an API key: {KEY.sub('sk_…', line)[:300]}")
            digits = re.sub(r"(?<=[0-9])[ -](?=[0-9])", "", line)
            for card in cards:
                if card in digits:
                    leaks.append(f"{path.name}:{number}: card number {card[:6]}…{card[-4:]}: {KEY.sub('sk_…', digits.replace(card, '…'))[:300]}")

    print(f"log scan: {lines} lines in {len(logs)} files, {len(cards)} card numbers and every sk_ key looked for: {len(leaks)} found")
    for leak in leaks[:50]:
        print("  " + leak)
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
