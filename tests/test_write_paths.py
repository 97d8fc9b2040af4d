"""Every button and callback that writes goes through ui.common.act (issue 22).

`act` opens the unit of work, shows a refusal or a user error in Japanese (never Streamlit's English
error page), and makes the rest of the run show the state after the write (a flashed message and a
rerun, so a report or a download on the same page is built from what was just stored). A write path
is the branch of a pressed button (`if ….button(…):`, `if ….form_submit_button(…):`), a widget
callback (`on_change=` / `on_click=`), and a button given `**act_on_click(action, done)` (act itself
as its callback: the action runs in act's unit of work). Inside one, the database is reached only
through `act`: no `session()` of its own, directly or through a function of the same module that
opens one.
"""

from __future__ import annotations

import ast

from .conftest import ROOT

BUTTONS = {"button", "form_submit_button"}


def _files():
    return sorted([*(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")])


def _opens_session(node) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "session"
               for n in ast.walk(node))


def _called_names(node) -> set[str]:
    """Names of functions called in `node` (plain `f(…)` and `module.f(…)`), `act`'s own argument
    lambdas left out (they run inside act's unit of work)."""
    names = set()
    skip = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "act":
            skip.update(id(m) for arg in n.args for m in ast.walk(arg))
    for n in ast.walk(node):
        if id(n) in skip or not isinstance(n, ast.Call):
            continue
        if isinstance(n.func, ast.Name):
            names.add(n.func.id)
        elif isinstance(n.func, ast.Attribute):
            names.add(n.func.attr)
    return names


def _is_button_test(test) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in BUTTONS
               for n in ast.walk(test))


def _write_paths(tree) -> list[tuple[int, str, list[ast.AST]]]:
    """(line, what, body) of every pressed-button branch and every callback named in the module."""
    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    paths = []
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and _is_button_test(n.test):
            paths.append((n.lineno, "button", n.body))
        if isinstance(n, (ast.Module, ast.FunctionDef)):  # pressed = st.button(…); later `if pressed:`
            pressed = {t.id for a in ast.walk(n) if isinstance(a, ast.Assign) and _is_button_test(a.value)
                       for t in a.targets if isinstance(t, ast.Name)}
            for body in _bodies(n):
                for i, stmt in enumerate(body):
                    if not (isinstance(stmt, ast.If) and pressed & _names(stmt.test)):
                        continue
                    negated = isinstance(stmt.test, ast.UnaryOp) or (
                        isinstance(stmt.test, ast.BoolOp) and all(isinstance(v, ast.UnaryOp) for v in stmt.test.values))
                    if all(line != stmt.lineno for line, _, _ in paths):  # the module walks its functions too
                        paths.append((stmt.lineno, "button", body[i + 1:] if negated else stmt.body))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "act_on_click":
            paths.append((n.lineno, "act_on_click", []))  # its action runs inside act
        for _name, value in _callbacks(n):
            if isinstance(value, ast.Name) and value.id == "act":
                continue  # act_on_click's own keywords (its calls are the write paths)
            if isinstance(value, ast.Call) and getattr(value.func, "attr", getattr(value.func, "id", "")) == "partial":
                value = value.args[0]  # functools.partial(f, …)
            if isinstance(value, ast.Name) and value.id in functions:
                paths.append((value.lineno, f"callback {value.id}", functions[value.id].body))
            elif isinstance(value, ast.Lambda):
                paths.append((value.lineno, "callback lambda", [ast.Expr(value.body)]))
    return paths


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bodies(node):
    """Every statement list inside `node` (function bodies, with/if/for/try blocks)."""
    for n in ast.walk(node):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(n, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _callbacks(n) -> list[tuple[str, ast.AST]]:
    """`on_…=f` keywords of a call, and "on_…": f entries of a dict literal (`**save`)."""
    if isinstance(n, ast.Call):
        return [(kw.arg, kw.value) for kw in n.keywords if kw.arg and kw.arg.startswith("on_")]
    if isinstance(n, ast.Dict):
        return [(k.value, v) for k, v in zip(n.keys, n.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.startswith("on_")]
    return []


def bypasses() -> tuple[list[str], int]:
    found, total = [], 0
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        session_functions = {name for name, f in functions.items() if _opens_session(f) and name != "act"}
        for line, what, body in _write_paths(tree):
            total += 1
            block = ast.Module(body=list(body), type_ignores=[])
            direct = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "session"
                         and not _inside_act(block, n) for n in ast.walk(block))
            via = sorted(_called_names(block) & session_functions)
            if direct or via:
                found.append(f"{path.relative_to(ROOT)}:{line} {what}" + (f" → {', '.join(via)}" if via else ""))
    return found, total


def _inside_act(block, target) -> bool:
    for n in ast.walk(block):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "act":
            if any(m is target for arg in n.args for m in ast.walk(arg)):
                return True
    return False


def test_every_write_goes_through_act():
    found, total = bypasses()
    assert total > 40  # the detector sees the pages' buttons and callbacks (it can fail)
    assert not found, "writes outside ui.common.act:\n" + "\n".join(found)


def test_the_detector_finds_a_bypass(tmp_path):
    code = ("def save(x):\n    with session() as s:\n        s.add(x)\n"
            "if st.button('保存'):\n    save(1)\n"
            "if st.button('実行'):\n    act(lambda s: s.add(1), '済')\n")
    tree = ast.parse(code)
    paths = _write_paths(tree)
    assert len(paths) == 2
    negated = "def f():\n    with st.form('f'):\n        go = st.form_submit_button('x')\n    if not go:\n        return\n    save(1)\n"
    assert [len(body) for _, _, body in _write_paths(ast.parse(negated))] == [1]
    direct = "def f():\n    go = st.button('x')\n    if go or other:\n        save(1)\n"
    assert [len(body) for _, _, body in _write_paths(ast.parse(direct))] == [1]
    functions = {"save"}
    flagged = [line for line, _, body in paths
               if _called_names(ast.Module(body=list(body), type_ignores=[])) & functions]
    assert flagged == [4]
    clicked = "st.button('確認済み', **act_on_click(lambda s: mark(s, 1), '済'))\n"
    assert [(what, body) for _, what, body in _write_paths(ast.parse(clicked))] == [("act_on_click", [])]
