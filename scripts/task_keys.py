"""Write the task-file key reference into README.md (between its markers), from the schema.

    PYTHONPATH=src python scripts/task_keys.py          # rewrite the block
    PYTHONPATH=src python scripts/task_keys.py --check  # exit 1 when it is stale or a key is undescribed

``--readme PATH`` works on another copy of the README.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xling.tasks.reference import current_block, render, replace_block, undocumented

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str]) -> int:
    readme = Path(argv[argv.index("--readme") + 1]) if "--readme" in argv else README
    missing = undocumented()
    if missing:
        print(f"keys without a Field(description=...): {', '.join(missing)}", file=sys.stderr)
        return 1
    text = readme.read_text("utf-8")
    block = render()
    if "--check" in argv:
        if current_block(text) != block:
            print(f"{readme}: the task-key reference is stale: run scripts/task_keys.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(replace_block(text, block), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
