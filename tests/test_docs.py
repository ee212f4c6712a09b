"""The code in README.md and docs/ runs: every ```python block, in order, in one namespace
per file. Blocks marked `# ngclearn` are the reference's side of an example and need ngclearn;
```py blocks are fragments (a contract, a cluster recipe) and only need to compile."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_blocks_run(path):
    blocks = [b for b in _blocks(path, "python") if not b.lstrip().startswith("# ngclearn")]
    assert blocks, f"no python block in {path.name}"
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{path.name} block {i}", "exec"), namespace)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_fragments_compile(path):
    for i, block in enumerate(_blocks(path, "py")):
        compile(block, f"{path.name} fragment {i}", "exec")
