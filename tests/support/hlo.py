"""Reading compiled HLO text (`jax.jit(f).lower(...).compile().as_text()`) in tests: which
computations a loop or a branch runs, and whether they contain a matrix product."""

import re


def computations(hlo: str) -> dict[str, str]:
    """`{name: text}` of every computation (each starts at an unindented `%name` or `ENTRY`)."""
    blocks = re.split(r"\n(?=%|ENTRY )", hlo)
    return {block.split(" ")[0].lstrip("%"): block for block in blocks}


def contains_dot(hlo: str, name: str) -> bool:
    """Whether computation `name`, or one it calls (fusions, reductions), has a `dot`."""
    blocks = computations(hlo)

    def search(name: str) -> bool:
        block = blocks[name]
        callees = re.findall(r"(?:calls|to_apply)=%([\w.\-]+)", block)
        return " dot(" in block or any(search(callee) for callee in callees)

    return search(name)


def while_bodies(hlo: str) -> list[str]:
    """The names of the bodies of every `while` loop."""
    return sorted(set(re.findall(r"body=%([\w.\-]+)", hlo)))


def branches(hlo: str) -> list[str]:
    """The names of the branches of the first `conditional`."""
    found = re.search(r"conditional\(.*branch_computations=\{([^}]*)\}", hlo)
    assert found is not None, "no conditional in the compiled function"
    return [name.strip().lstrip("%") for name in found.group(1).split(",")]
