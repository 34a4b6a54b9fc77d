"""The docs cannot go stale: generated references, configuration keys, samples, links (#24).

`python -m tracker.docs` regenerates docs/cli.md, docs/schema.md and the demo's sample
outputs; these tests fail when any of them is stale, and check that they would notice.
"""

import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from tracker import config, db
from tracker.cli import cli
from tracker.docs import ROOT, pages, references, stale, with_samples, write
from tracker.docs.cli_ref import commands, options_by_command
from tracker.docs.links import anchors, broken_links, slug
from tracker.docs.samples import SampleError, fill, mask

README = (ROOT / "README.md").read_text()
CLI_MD = (ROOT / "docs" / "cli.md").read_text()
CONFIGURATION_MD = (ROOT / "docs" / "configuration.md").read_text()
SETUP = "pip install -e . && tracker demo"
TEST_COMMAND = "pip install -e '.[test]' && python -m pytest"


# --- README -----------------------------------------------------------------------------

def test_readme_is_short_and_keeps_the_two_setup_commands():
    assert len(README.splitlines()) <= 200
    assert SETUP in README and TEST_COMMAND in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in ci


def test_every_docs_page_is_reachable_from_the_readme():
    """Following relative links from README.md reaches every page under docs/."""
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop().resolve()
        if page in seen or page.suffix != ".md" or not page.exists():
            continue
        seen.add(page)
        from tracker.docs.links import links
        todo += [page.parent / target.partition("#")[0] for target in links(page.read_text())
                 if not re.match(r"^[a-z]+:", target) and target.partition("#")[0]]
    missing = [str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")
               if p.resolve() not in seen]
    assert not missing, f"not linked from README.md or a page it links: {missing}"


# --- docs/cli.md ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def cli_sections(text):
    """{'tracker harvest': the text under its heading} of docs/cli.md."""
    parts = re.split(r"^## (tracker[\w -]*)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("command,option", [
    (name, option) for name, options in options_by_command(cli).items() for option in options
])
def test_every_option_is_in_cli_md_under_its_command(command, option):
    section = cli_sections(CLI_MD).get(command)
    assert section is not None, f"docs/cli.md has no section for {command}"
    assert re.search(rf"(^|[\s,/]){re.escape(option)}\b", section), \
        f"{command} {option} is not in its section of docs/cli.md"


def diff(expected):
    """The first lines of difference of each stale page, for the failure message."""
    import difflib
    out = []
    for path in stale(expected):
        old = path.read_text().splitlines(True) if path.exists() else []
        out += list(difflib.unified_diff(old, expected[path].splitlines(True), str(path),
                                         "regenerated", n=1))[:30]
    return "".join(out)


def test_cli_and_schema_references_are_fresh():
    expected = references()
    assert not stale(expected), "run `python -m tracker.docs` and commit the result\n" + diff(expected)


def test_staleness_is_caught_and_regenerating_fixes_it(tmp_path):
    write(references(tmp_path))
    assert stale(references(tmp_path)) == []

    @click.group()
    def other():
        """Another tool."""

    @other.command()
    @click.option("--brand-new", help="An option nobody documented.")
    def harvest(brand_new):
        """Harvest."""

    changed = references(tmp_path, cli=other)
    assert stale(changed) == [tmp_path / "docs" / "cli.md"]
    write(changed)
    assert "--brand-new" in cli_sections((tmp_path / "docs" / "cli.md").read_text())[
        "tracker harvest"]
    assert stale(references(tmp_path, cli=other)) == []

    tables = dict(db.TABLES)
    columns, options = tables["repos"]
    tables["repos"] = ({**columns, "brand_new_column": int}, options)
    views = {**db.VIEWS, "brand_new_view": "select 1 as one"}
    changed = references(tmp_path, cli=other, tables=tables, views=views)
    assert stale(changed) == [tmp_path / "docs" / "schema.md"]
    write(changed)
    schema = (tmp_path / "docs" / "schema.md").read_text()
    assert "`brand_new_column` | INTEGER" in schema and "## brand_new_view" in schema
    assert stale(references(tmp_path, cli=other, tables=tables, views=views)) == []


def test_cli_md_lists_nested_commands():
    @click.group()
    def tool():
        """Tool."""

    @tool.group()
    def registry():
        """Registries."""

    @registry.command()
    @click.option("--since")
    def sync(since):
        """Sync."""

    assert [name for name, _ in commands(tool)] == ["tracker registry", "tracker registry sync"]
    assert options_by_command(tool)["tracker registry sync"] == ["--since"]


# --- docs/schema.md ---------------------------------------------------------------------

def test_schema_md_has_every_table_column_and_view():
    schema = (ROOT / "docs" / "schema.md").read_text()
    for name, (columns, _) in db.TABLES.items():
        section = schema.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for column in columns:
            assert f"| `{column}` |" in section, f"{name}.{column} missing from docs/schema.md"
    for name in db.VIEWS:
        assert f"\n## {name}\n" in schema


# --- docs/configuration.md and tracker.config.KEYS --------------------------------------

def documented_keys():
    """{key: (type, default, example)} from the tables of docs/configuration.md."""
    rows = re.findall(r"^\| `([a-z_\[\].]+)` \|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|", CONFIGURATION_MD,
                      re.M)
    return {key: tuple(cell.strip() for cell in cells) for key, *cells in rows}


def test_every_key_the_loader_accepts_is_documented_and_the_reverse():
    documented = set(documented_keys())
    assert not set(config.KEYS) - documented, \
        f"in tracker.config.KEYS, not in docs/configuration.md: {sorted(set(config.KEYS) - documented)}"
    assert not documented - set(config.KEYS), \
        f"in docs/configuration.md, not accepted by the loader: {sorted(documented - set(config.KEYS))}"


@pytest.mark.parametrize("key", config.KEYS)
def test_every_key_has_a_type_default_and_example(key):
    kind, default, example = documented_keys().get(key, ("", "", ""))
    assert kind and default and example.startswith("`") and example.endswith("`"), \
        f"docs/configuration.md: {key} needs a type, a default and an `example`"


# A documented example is loaded with the keys its mapping cannot do without.
REQUIRED = {"feeds[]": {"url": "https://example.org/feed"},
            "calendars[]": {"url": "https://example.org/basic.ics", "name": "example"},
            "discourse": {"url": "https://discourse.example.org"},
            "digest.sections[]": {"title": "Example", "kind": "posts"}}


def build(key, value):
    """{'feeds': [{'url': ..., 'title': value}]} for key 'feeds[].title', and so on."""
    segments = key.split(".")
    doc = value
    for depth in range(len(segments) - 1, 0, -1):
        parent = ".".join(segments[:depth])
        doc = {**REQUIRED.get(parent, {}), segments[depth].removesuffix("[]"): doc}
        if parent.endswith("[]"):
            doc = [doc]
    return {segments[0].removesuffix("[]"): doc}


# Examples that name another key's value: a tier is for a configured topic (#19).
CONTEXT = {"discovery.tiers": {"github": {"topics": ["jupyterhub"]}}}


@pytest.mark.parametrize("key", config.KEYS)
def test_every_documented_example_loads(key):
    example = documented_keys()[key][2].strip("`")
    data = {**CONTEXT.get(key, {}), **build(key, yaml.safe_load(example))}
    config.parse_config(yaml.safe_dump(data), source="example")


@pytest.mark.parametrize("path", sorted({key.rpartition(".")[0] for key in config.KEYS} | {""}))
def test_every_mapping_refuses_a_key_it_does_not_know(path):
    data = build(f"{path}.no_such_key" if path else "no_such_key", 1)
    with pytest.raises(config.ConfigError, match="unknown key '.*no_such_key'"):
        config.parse_config(yaml.safe_dump(data), source="t")


def test_only_the_config_module_decides_which_keys_exist():
    """Unknown-key errors come from tracker.config.check_keys, which reads KEYS."""
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "tracker").rglob("*.py")
                 if path.name != "config.py" and "ConfigError" in path.read_text()
                 and "unknown key" in path.read_text()]
    assert not offenders, f"use tracker.config.check_keys (and KEYS) in {offenders}"


# --- samples from the demo --------------------------------------------------------------

def test_masking_makes_two_runs_alike():
    one = ("GitHub emulator on http://127.0.0.1:40002, feeds on http://127.0.0.1:40001\n"
           "ok: 7 repos; rate limit left 4515, 0 errors, 1.4s\n"
           "  #1 all ok 2026-12-03T05:04:44Z (5s): 7 repos\n"
           "Built 637 weekly digests (2014-W39 … 2026-W49)\n"
           "Data: **GitHub** harvested Thu 3 Dec · **3 feeds**")
    two = one.replace("4000", "5000").replace("1.4s", "12.0s").replace("(5s)", "(1m3s)") \
        .replace("05:04:44", "23:59:59").replace("2026-W49", "2027-W53").replace("Thu 3", "Fri 11").replace("4515", "4516")
    assert mask(one, port=40000) == mask(two, port=50000)
    assert "127.0.0.1:8002" in mask(one, port=40000)


def test_sample_blocks_are_rewritten_and_unknown_ones_refused(tmp_path):
    page = tmp_path / "README.md"
    page.write_text("Run it:\n\n<!-- sample: demo -->\n```text\nold\n```\n<!-- /sample -->\nend\n")
    (tmp_path / "docs").mkdir()
    expected = with_samples(tmp_path, {"demo": ("text", "new")})
    assert stale(expected) == [page]
    write(expected)
    assert page.read_text() == "Run it:\n\n<!-- sample: demo -->\n```text\nnew\n```\n<!-- /sample -->\nend\n"
    assert stale(with_samples(tmp_path, {"demo": ("text", "new")})) == []
    with pytest.raises(SampleError, match="unknown sample 'demo'"):
        fill(page.read_text(), {})


def test_samples_in_the_docs_match_what_the_demo_prints():
    expected = with_samples()
    assert expected, "no page holds a sample block"
    assert not stale(expected), "run `python -m tracker.docs` and commit the result\n" + diff(expected)


# --- links --------------------------------------------------------------------------------

def test_every_relative_link_and_anchor_leads_somewhere():
    assert broken_links(pages(), ROOT) == []


def test_the_link_checker_finds_broken_links(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Title\n\n## Exit codes: `tracker harvest`\n\n"
                                            "```\n## not a heading\n```\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/a.md) [ok](docs/a.md#exit-codes-tracker-harvest) [ok](#readme)\n"
        "[bad](docs/b.md) [bad](docs/a.md#nowhere) [bad](docs/a.md#not-a-heading) "
        "[web](https://example.org/x) `[code](nowhere.md)`\n\n# README\n")
    broken = broken_links([tmp_path / "README.md", tmp_path / "docs" / "a.md"], tmp_path)
    assert broken == ["README.md: docs/b.md (no such file)",
                      "README.md: docs/a.md#nowhere (no such anchor)",
                      "README.md: docs/a.md#not-a-heading (no such anchor)"]


def test_anchors_follow_github():
    assert slug("Pacing: GitHub's secondary rate limits") == "pacing-githubs-secondary-rate-limits"
    assert slug("`tracker harvest --search`") == "tracker-harvest---search"
    assert anchors("# A\n## A\n") == {"a", "a-1"}


def test_the_exit_code_table_is_written_once():
    tables = [str(page.relative_to(ROOT)) for page in pages()
              for _ in re.finditer(r"^\| exit \|", page.read_text(), re.M)]
    assert tables == ["docs/running.md"], f"exit-code tables: {tables}"
