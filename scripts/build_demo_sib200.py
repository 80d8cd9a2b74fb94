"""Write the default job's data, a slice of the SIB-200 release, into src/xling/demo/sib200/.

    python scripts/build_demo_sib200.py DATA_DIR    # the folder holding the release as sib200/annotated/

The slice keeps the release's layout (``annotated/<lang>/<split>.tsv``, header
``index_id<TAB>category<TAB>text``): for each language in LANGUAGES the test items of a seeded
sample stratified by topic (the same ``index_id`` in every language, see xling.tasks.sampling),
and for English a sample of the train split. Rows keep the release's order and text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xling.tasks import get_task, load_task_file
from xling.tasks.sampling import seeded_sample

DEMO = Path(__file__).resolve().parents[1] / "src" / "xling" / "demo" / "sib200"
TASK = Path(__file__).resolve().parents[1] / "src" / "xling" / "tasks" / "catalog" / "sib200-demo.yaml"
TEST_ITEMS = 105  # per language: 15 per topic
TRAIN_ITEMS = 350  # English only: the head's training data
SEED = 0


def write(rows: list[tuple[str, str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{i}\t{c}\t{t}\n" for i, c, t in rows)
    path.write_text("index_id\tcategory\ttext\n" + body, encoding="utf-8", newline="\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the folder holding the SIB-200 release as sib200/annotated/")
    args = parser.parse_args()
    task = load_task_file(TASK)
    release = get_task("sib200", args.data_dir)
    for lang in task.spec.languages:
        splits = [("test", TEST_ITEMS)] + ([("train", TRAIN_ITEMS)] if lang == task.spec.source_language else [])
        for split, n in splits:
            items = seeded_sample(release.iter_items(lang, split), n, SEED, stratify=True)
            write(
                [(it.item_id, it.gold, it.fields["text"]) for it in items], DEMO / "annotated" / lang / f"{split}.tsv"
            )
    print(f"wrote {DEMO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
