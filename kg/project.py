"""Where a kg project keeps its files: seeds/, ontology/, queries/ and the build directory."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError


@dataclass(frozen=True)
class Project:
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

    def input_files(self) -> list[Path]:
        """Every file the build reads; their bytes decide whether a build is up to date."""
        files = [p for p in self.seeds.iterdir() if p.is_file() and p.suffix in (".yaml", ".txt")]
        shapes = sorted(self.shapes.glob("*.ttl")) if self.shapes.is_dir() else []
        return sorted(files) + self.ontology_files() + shapes

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def open_project(root: str | Path) -> Project:
    project = Project(Path(root).resolve())
    if not project.seeds.is_dir():
        raise ProjectError(f"{project.root} has no seeds/ directory: run kg in a project directory or pass --project DIR")
    return project
