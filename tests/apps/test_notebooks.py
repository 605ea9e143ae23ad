"""The teaching notebooks are committed clean (no outputs) and each ends with questions for students.

Running them is nbmake's job (``pytest --nbmake notebooks/``); these tests only read the files.
"""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ("01_quickstart", "02_three_strategies", "03_word_of_mouth", "04_cases", "05_your_strategy")


def _committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", _committed(), ids=lambda path: path.stem)
def test_a_committed_notebook_has_no_outputs_or_execution_counts(path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them with " \
                      f"'jupyter nbconvert --clear-output --inplace {path}'"


def test_the_five_notebooks_exist():
    assert [path.stem for path in _committed() if path.stem in EXPECTED] == list(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_each_notebook_ends_with_questions_for_students(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    last = notebook.cells[-1]
    assert last.cell_type == "markdown"
    assert last.source.lstrip("# ").startswith("Questions for students")
