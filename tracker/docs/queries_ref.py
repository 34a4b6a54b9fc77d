"""The canned-query table of docs/datasette.md, from tracker/queries/ (SQL and sidecars)."""

from pathlib import Path

import yaml

QUERIES = Path(__file__).resolve().parents[1] / "queries"


def _cell(text):
    return " ".join(str(text or "").split()).replace("|", "\\|")


def queries_table(directory=QUERIES):
    """One row per canned query: path, title and description, parameters, Atom feed."""
    rows = ["| query | what | parameters | Atom |", "|---|---|---|---|"]
    for sql in sorted(Path(directory).glob("*.sql")):
        if sql.name.startswith("_"):
            continue
        sidecar = sql.with_suffix(".yml")
        meta = (yaml.safe_load(sidecar.read_text()) or {}) if sidecar.exists() else {}
        params = meta.get("params") or []
        names = ", ".join(f"`{p}`" for p in params) or "—"
        what = _cell(meta.get("title"))
        if meta.get("description"):
            what = f"**{what}**: {_cell(meta['description'])}" if what else _cell(meta["description"])
        atom = f"`.atom`" if "atom_id" in sql.read_text() else ""
        rows.append(f"| `/tracker/{sql.stem}` | {what} | {names} | {atom} |")
    return "\n".join(rows)
