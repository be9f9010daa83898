"""No two of ClinicDesk's modules import each other, however indirectly (issue 12): every
import counts, at the top of a module, under ``TYPE_CHECKING`` and inside a function, as
grimp (import-linter's engine) reads them. A circle makes a module's meaning depend on which
was imported first, and it crept back once through three dialogs that each imported the next
inside a function."""

from __future__ import annotations

import grimp


def import_circles(package: str) -> list[list[str]]:
    """Each group of modules that reach each other through imports (Tarjan's algorithm)."""
    graph = grimp.build_graph(package, include_external_packages=False)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: no recursion limit to meet
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, following = work[-1]
            for imported in following:
                if imported not in index:
                    index[imported] = low[imported] = len(index)
                    stack.append(imported)
                    on_stack.add(imported)
                    nexts = iter(sorted(graph.find_modules_directly_imported_by(imported)))
                    work.append((imported, nexts))
                    break
                if imported in on_stack:
                    low[module] = min(low[module], index[imported])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_of_clinicdesk_is_in_an_import_circle() -> None:
    assert import_circles("clinicdesk") == []
