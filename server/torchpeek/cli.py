"""The ``torchpeek`` command line: serve, demo, list, show, check, export, doctor, preview.

``torchpeek serve`` runs the language server (stdio by default); the other
commands work on the snippet database and the preview worker directly, for
scripts, CI and troubleshooting. Logs go to stderr; stdout belongs to the
protocol when serving. Help texts are plain text (no reStructuredText markup).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchpeek",
        description="PyTorch snippets and tensor-shape previews for any LSP editor.",
        epilog="Run 'torchpeek COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"torchpeek {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead")
    serve.add_argument("--log-file", metavar="PATH", help="also write logs to this file")
    serve.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv)")
    sub.add_parser("demo", help="drive a real server like an editor and print the transcript")
    listing = sub.add_parser("list", help="list the snippets")
    listing.add_argument("--path", action="append", default=[], help="extra snippet folder")
    show = sub.add_parser("show", help="render one snippet (by id or by prefix)")
    show.add_argument("id", help="a snippet id, or a prefix such as seed or sched_plateau")
    show.add_argument("--param", action="append", default=[], metavar="K=V")
    show.add_argument("--plain", action="store_true", help="fill placeholders with defaults")
    check = sub.add_parser("check", help="validate snippet files; non-zero exit on problems")
    check.add_argument("paths", nargs="*", help="files or folders (default: the built-in database)")
    export = sub.add_parser(
        "export", help="export the database as VS Code snippets (stdout, or the file -o names)"
    )
    export.add_argument("--format", choices=["vscode"], default="vscode")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.add_argument("--path", action="append", default=[], help="extra snippet folder")
    doctor = sub.add_parser("doctor", help="show the preview worker's torch and sandbox layers")
    doctor.add_argument("--python", help="interpreter for the worker (default: this one)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    preview = sub.add_parser("preview", help="preview the value at a position of a file")
    preview.add_argument("file")
    preview.add_argument("--line", type=int, required=True, help="1-based line")
    preview.add_argument("--col", type=int, required=True, help="1-based column")
    preview.add_argument("--json", action="store_true", help="print the result as JSON")
    preview.add_argument("--python", help="interpreter for the worker (default: this one)")
    return parser


class _QuietCancels(logging.Filter):
    """Drop pygls' warning for a cancel that arrives after its request finished.

    Editors cancel completion and hover requests as the user types; when the answer already
    went out, pygls warns about an "unknown message id". That is normal, not a problem,
    and it filled the editor's output channel. It stays visible with ``-v``.
    """

    def __init__(self, verbose: int) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or not record.getMessage().startswith("Cancel notification for unknown"):
            return True
        return False


def _setup_logging(verbose: int, log_file: str | None) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.addFilter(_QuietCancels(verbose))
    logging.basicConfig(
        level=level, handlers=handlers, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose, args.log_file)
    from .server import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .snippets import load_database

    db = load_database(args.path)
    width = max((len(i) for i in db.snippets), default=10)
    for snippet in db.snippets.values():
        print(
            f"{snippet.id:<{width}}  {snippet.category:<11} {','.join(snippet.prefixes):<24} {snippet.title}"
        )
    print(f"{len(db.snippets)} snippets, {len(db.problems)} problems", file=sys.stderr)
    return 0


def _param_values(pairs: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"torchpeek: --param expects K=V, got {pair!r}")
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return values


def cmd_show(args: argparse.Namespace) -> int:
    from .snippets import SnippetError, fill_placeholders, load_database, render_snippet
    from .snippets.lookup import find_snippet

    found = find_snippet(load_database(), args.id)
    if found.snippet is None:
        print(f"torchpeek: no snippet with id or prefix {args.id!r}", file=sys.stderr)
        if found.suggestions:
            print(f"did you mean: {', '.join(found.suggestions)}?", file=sys.stderr)
        return 2
    try:
        values = {**found.values, **_param_values(args.param)}
        text = render_snippet(found.snippet, values)
    except SnippetError as error:
        print(f"torchpeek: {error.problem}", file=sys.stderr)
        return 1
    print("\n".join(found.snippet.imports))
    print(fill_placeholders(text) if args.plain else text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .snippets import load_database

    db = load_database([Path(p) for p in args.paths], include_builtin=not args.paths)
    for problem in db.problems:
        print(problem)
    errors = [p for p in db.problems if p.severity == "error"]
    print(
        f"{len(db.snippets)} snippets, {len(errors)} errors, {len(db.problems) - len(errors)} warnings",
        file=sys.stderr,
    )
    return 1 if db.problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    from .snippets import export_vscode, load_database

    text = json.dumps(export_vscode(load_database(args.path)), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor_text import doctor_table
    from .sandbox.oneshot import doctor_report

    python = args.python or sys.executable
    report = {"python": python, **doctor_report(python)}
    print(json.dumps(report, indent=2) if args.json else doctor_table(report))
    return 0 if report.get("torch") else 1


def cmd_preview(args: argparse.Namespace) -> int:
    from .sandbox.oneshot import preview_file

    path = Path(args.file).expanduser().resolve()
    if not path.is_file():
        print(f"torchpeek: {args.file}: no such file", file=sys.stderr)
        return 2
    if args.line < 1 or args.col < 1:
        print("torchpeek: --line and --col are 1-based and must be at least 1", file=sys.stderr)
        return 2
    result = preview_file(path, args.line - 1, args.col - 1, args.python or sys.executable)
    print(json.dumps(result, indent=2) if args.json else result.get("text", ""))
    return 0 if result.get("ok") else 1


COMMANDS = {
    "serve": cmd_serve,
    "demo": cmd_demo,
    "list": cmd_list,
    "show": cmd_show,
    "check": cmd_check,
    "export": cmd_export,
    "doctor": cmd_doctor,
    "preview": cmd_preview,
}


def main(argv: list[str] | None = None) -> int:
    """Run one torchpeek command; ``serve`` when none is given."""
    args = _parser().parse_args(argv)
    if args.command is None:
        args = _parser().parse_args(["serve", *(argv or [])])
    return COMMANDS[args.command](args)
