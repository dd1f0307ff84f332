"""Where a kg project keeps its files: seeds/, ontology/, queries/ and the build directory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .errors import ProjectError


class Project(NamedTuple):
    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "ontology" / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def ontology_files(self) -> list[Path]:
        return sorted(p for p in self.ontology.glob("*.ttl") if p.is_file())

    def input_names(self) -> list[str]:
        """Every file the build reads, by its name in the project (`seeds/a.yaml`); their bytes decide
        whether a build is up to date. The seeds are listed without a Path per file: at 10,000 articles
        Path objects alone cost half a second of every query's freshness check."""
        seeds = sorted(entry.name for entry in os.scandir(self.seeds) if _suffix(entry.name) in (".yaml", ".txt") and entry.is_file())
        shapes = sorted(self.shapes.glob("*.ttl")) if self.shapes.is_dir() else []
        return [f"seeds/{name}" for name in seeds] + [self.relative(path) for path in self.ontology_files() + shapes]

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def _suffix(name: str) -> str:
    """Path(name).suffix without making a Path (the same rule: no suffix for `.yaml` or `a.`)."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def open_project(root: str | Path) -> Project:
    project = Project(Path(root).resolve())
    if not project.seeds.is_dir():
        raise ProjectError(f"{project.root} has no seeds/ directory: run kg in a project directory or pass --project DIR")
    return project
