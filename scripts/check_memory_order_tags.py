#!/usr/bin/env python3
"""Checks the memory-order tags of the library's lock-free code.

Every atomic operation whose order needs an argument carries a tag such as (map.M3) in a trailing
comment, and the header that owns the tag's prefix defines it in its opening comment, where the
argument is written. This script fails when:
  - a tag has no prefix, like (M3): tags of different files collided that way before;
  - a tag cited anywhere (on an operation, as its partner, in prose) is not mentioned in the
    opening comment of the header that owns its prefix (used but never defined);
  - a tag defined in an opening comment is not on any operation (defined but unused);
    invariants (letter I) are exempt: they are cited in prose, not on operations;
  - a prefix's tags of one letter are not numbered 1, 2, 3... without a gap.

    scripts/check_memory_order_tags.py [repository root]
"""

import re
import sys
from collections import defaultdict
from pathlib import Path

# Who defines which tags: the header whose opening comment holds the argument.
OWNERS = {
    "map": "registry/include/enlist/concurrent_map.hpp",
    "registry": "registry/include/enlist/registry.hpp",
    "sweep": "registry/include/enlist/detail/sweep_protection.hpp",
    "epoch": "registry/include/enlist/reclaim/epoch.hpp",
    "retired": "registry/include/enlist/reclaim/retired_list.hpp",
    "tagged": "registry/include/enlist/tagged_map.hpp",
}
TAG = re.compile(r"\b([a-z]+)\.([A-Z])(\d+)('?)")
BARE = re.compile(r"\(([A-Z]\d+'?)(?:,\s*[A-Z]\d+'?)*\)")


def opening_comment(text: str) -> str:
    """The comment block a header opens with, up to its first line of code."""
    block = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#pragma") or not stripped:
            continue
        if not stripped.startswith("//"):
            break
        block.append(stripped)
    return "\n".join(block)


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    sources = sorted(p for ext in ("hpp", "cpp", "h") for p in (root / "registry").rglob(f"*.{ext}"))
    problems = []
    used = set()
    cited = set()
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(root)}:{number}"
            for bare in BARE.finditer(line):
                problems.append(f"{where}: tag without a prefix: {bare.group(0)}")
            code, _, comment = line.partition("//")
            for m in TAG.finditer(comment):
                if m.group(1) in OWNERS:
                    cited.add((m.group(0), where))
            # On an operation: the parenthesised tags that open a comment trailing code; the
            # partners named after them ("with map.M5") are only cited.
            on_operation = re.match(r"\s*\(([^)]*)\)", comment) if code.strip() else None
            if on_operation:
                for m in TAG.finditer(on_operation.group(1)):
                    if m.group(1) in OWNERS:
                        used.add(m.group(0))
    defined = defaultdict(set)
    for prefix, header in OWNERS.items():
        text = opening_comment((root / header).read_text())
        for m in TAG.finditer(text):
            if m.group(1) == prefix:
                defined[prefix].add(m.group(0))
        numbers = defaultdict(set)
        for tag in defined[prefix]:
            m = TAG.match(tag)
            numbers[m.group(2)].add(int(m.group(3)))
        for letter, present in numbers.items():
            missing = sorted(set(range(1, max(present) + 1)) - present)
            if missing:
                gaps = ", ".join(f"{prefix}.{letter}{n}" for n in missing)
                problems.append(f"{header}: numbering has a gap: {gaps}")
    for tag, where in sorted(cited):
        prefix = tag.split(".")[0]
        if tag not in defined[prefix]:
            problems.append(f"{where}: {tag} is not defined in {OWNERS[prefix]}")
    for prefix, tags in defined.items():
        for tag in sorted(tags):
            if TAG.match(tag).group(2) != "I" and tag not in used:
                problems.append(f"{tag} is defined in {OWNERS[prefix]} but on no operation")
    for problem in problems:
        print(problem)
    if not problems:
        total = sum(len(tags) for tags in defined.values())
        print(f"memory-order tags: {total} defined, {len(used)} on operations, all consistent")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
