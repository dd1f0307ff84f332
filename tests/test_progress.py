"""The build's progress bar: silent in pipes and for quick builds, one redrawn line otherwise."""
from __future__ import annotations

import io

from kg.build import build
from kg.progress import BuildProgress
from kg.project import open_project


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_before_the_delay():
    stream = _Terminal()
    progress = BuildProgress(stream, delay=3600)
    progress("reading annotations", 1, 10)
    progress.finish()
    assert stream.getvalue() == ""


def test_nothing_is_drawn_in_a_pipe():
    stream = io.StringIO()
    progress = BuildProgress(stream, delay=0)
    progress("reading annotations", 1, 10)
    assert stream.getvalue() == ""


def test_a_slow_build_draws_each_stage_and_clears_the_line(mini_copy):
    stream = _Terminal()
    progress = BuildProgress(stream, delay=0)
    build(open_project(mini_copy), force=True, progress=progress)
    progress.finish()
    drawn = stream.getvalue()
    for stage in ("reading annotations", "reasoning (rules)", "checking shapes and anchors", "writing"):
        assert f"\r{stage}" in drawn
    assert drawn.endswith("\r\x1b[K")


def test_the_bar_fills_in_proportion():
    stream = _Terminal()
    progress = BuildProgress(stream, delay=0)
    progress("reading annotations", 5, 10)
    assert "[" + "#" * 15 + "-" * 15 + "] 5/10" in stream.getvalue()
