"""docs/cli.md: every command's ``--help``, rendered at a fixed width."""

import copy

import click

WIDTH = 88
HEADER = """# Command-line reference

Generated from each command's `--help` by `python -m tracker.docs`; do not edit by hand
(`tests/test_docs.py` fails when this page is stale). Every command also answers `--help`.
"""


def context(command, name, parent=None):
    """A context like the one ``--help`` runs in (inherited settings such as ``-h``),
    at WIDTH columns whatever the terminal."""
    return click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH,
                         max_content_width=WIDTH, **command.context_settings)


def commands(group, parent=None):
    """(full name, context) for every command under ``group``, depth first, in name order."""
    parent = parent or context(group, "tracker")
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        ctx = context(command, name, parent)
        found.append((ctx.command_path, ctx))
        if isinstance(command, click.Group):
            found += commands(command, ctx)
    return found


def help_text(ctx):
    """What ``COMMAND --help`` prints."""
    # click caches a command's help option with the names of the first context that asked
    # (a test invoking a subcommand alone gets "--help" without "-h"): ask a copy afresh.
    command = copy.copy(ctx.command)
    if hasattr(command, "_help_option"):
        command._help_option = None
    ctx.command = command
    return command.get_help(ctx).rstrip()


def cli_markdown(group):
    """The whole page for the click ``group`` (the ``tracker`` command)."""
    out = [HEADER]
    listed = commands(group)
    out.append("| command | what it does |\n|---|---|")
    for full, ctx in listed:
        anchor = full.replace(" ", "-")
        out.append(f"| [`{full}`](#{anchor}) | {ctx.command.get_short_help_str(200)} |")
    out.append("")
    out.append("## tracker\n\n```text\n" + help_text(context(group, "tracker")) + "\n```\n")
    for full, ctx in listed:
        out.append(f"## {full}\n\n```text\n{help_text(ctx)}\n```\n")
    return "\n".join(out).rstrip() + "\n"


def options_by_command(group):
    """{full command name: its long and short option names} (what cli.md must show;
    hidden options, kept only so old command lines still run, are left out as --help does)."""
    return {full: [opt for param in ctx.command.params
                   if isinstance(param, click.Option) and not param.hidden
                   for opt in param.opts + param.secondary_opts]
            for full, ctx in commands(group)}
