"""Entry inference: reach a line the file's own run never executes.

A model file often only defines classes. When the run ends without reaching
the hovered line, this module calls the code that holds it:

- methods of an ``nn.Module`` subclass run on an instance: one the run already
  built, else one built by a ``# torchpeek: Net(...)`` comment, the file's own
  construction call, or default arguments; failing that, through another
  module of the file that contains one;
- ``forward`` goes first; its example input comes from a ``# torchpeek:
  forward(...)`` comment, a shape annotation, or the first layer that consumes
  the argument (``Conv2d.in_channels``, ``Linear.in_features``, ``Embedding``...);
- plain functions run with a comment's arguments or their defaults.

Every guess is reported as the exact expression used, so the hover can say
that the input was assumed.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from .outline import Index, Unreachable, comment_call, eval_call_args, required_args
from .probes import Captured, Tracer
from .shapes import annotation_input, layer_inputs, size_hints
from .trace import Target

MAX_TRIES = 8
CONFIG_WORDS = ("config", "cfg", "args", "params", "settings", "hparams")
SCALARS = {"int": "0", "float": "1.0", "bool": "False", "str": "''"}
BUDGET_S = 2.5


@dataclass
class Attempt:
    """One way to reach the line: what to call and how to describe it."""

    run: Callable[[], Any]
    how: str
    assumed: bool = True


def _instances(cls: type, namespace: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """Instances the file's own run already built (top level or inside a model)."""
    seen: set[int] = set()
    for name, value in list(namespace.items()):
        if not isinstance(value, torch.nn.Module):
            continue
        for sub_name, sub in value.named_modules(prefix=name):
            if isinstance(sub, cls) and id(sub) not in seen:
                seen.add(id(sub))
                yield sub, f"`{sub_name}`, built by the file"


class Reacher:
    """Tries the ways to reach the target, cheapest and most faithful first."""

    def __init__(self, namespace: dict[str, Any], index: Index, target: Target) -> None:
        self.namespace = namespace
        self.index = index
        self.target = target
        self.errors: list[str] = []
        self.current = ""

    # -- building instances ---------------------------------------------------
    def builds(self, name: str) -> Iterator[tuple[Any, str]]:
        """Ways to build an instance of class ``name``."""
        cls = self.namespace.get(name)
        node = self.index.classes.get(name)
        if not isinstance(cls, type) or node is None:
            return
        comment = comment_call(self.index.lines, node)
        calls = [comment] if comment is not None else self.index.construction_calls(name)
        for call in calls:
            try:
                args, kwargs = eval_call_args(call, self.namespace)
            except Exception:  # noqa: BLE001 - arguments only exist where the call is
                continue
            text = f"`{ast.unparse(call)}`"
            yield (
                lambda a=args, k=kwargs: cls(*a, **k),
                (
                    f"built as {text} (line {call.lineno})"
                    if call is not comment
                    else f"built as {text}"
                ),
            )
        if comment is None:
            yield cls, f"built as `{name}()` with its default arguments"
            annotated = self._annotated_args(cls)
            if annotated is not None:
                yield annotated

    def _annotated_args(self, cls: type) -> tuple[Callable[[], Any], str] | None:
        """``Net(config: Config)``: build each required argument from its annotation's defaults."""
        init = self.index.method(cls.__name__, "__init__")
        if init is None:
            return None
        parts, values = [], []
        for arg in required_args(init, skip_self=True):
            kind = self.namespace.get(ast.unparse(arg.annotation)) if arg.annotation else None
            if not isinstance(kind, type) and arg.annotation is None:
                kind = self._config_class(arg.arg)
            if not isinstance(kind, type):
                return None
            parts.append(f"{kind.__name__}()")
            values.append(kind)
        if not values:
            return None
        text = f"{cls.__name__}({', '.join(parts)})"
        return (lambda: cls(*[v() for v in values])), f"built as `{text}`"

    def _config_class(self, param: str) -> type | None:
        """For an unannotated ``config``-like parameter: the file's one config class."""
        if not any(word in param.lower() for word in CONFIG_WORDS):
            return None
        found = [
            value
            for name in self.index.classes
            if isinstance(value := self.namespace.get(name), type)
            and any(word in name.lower() for word in CONFIG_WORDS)
            and not issubclass_module(value)
        ]
        return found[0] if len(found) == 1 else None

    def instances(self, name: str) -> Iterator[tuple[Any, str]]:
        cls = self.namespace.get(name)
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module):
            yield from _instances(cls, self.namespace)
        for build, how in self.builds(name):
            self.current = how
            try:
                yield build(), how
            except Captured:
                raise
            except (Exception, SystemExit) as error:  # noqa: BLE001 - try the next way
                self.errors.append(f"{how}: {type(error).__name__}: {error}")

    # -- calling methods ------------------------------------------------------
    def method_inputs(
        self, instance: Any, method: str
    ) -> Iterator[tuple[list[Any], dict[str, Any], str]]:
        """Arguments for ``instance.method``: the comment's, annotated, or inferred from layers."""
        node = self.index.method(type(instance).__name__, method)
        if node is None:
            node = self._inherited(type(instance), method)
        if node is None:
            return
        comment = comment_call(self.index.lines, node)
        if comment is not None:
            args, kwargs = eval_call_args(comment, self.namespace)
            yield args, kwargs, f"example input from the comment: `{ast.unparse(comment)}`"
            return
        required = required_args(node, skip_self=True)
        if not required:
            yield [], {}, f"called as `{method}()`"
            return
        yield from self._inferred(instance, node, required)

    def _inherited(self, cls: type, method: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for base in cls.__mro__[1:]:
            found = self.index.method(base.__name__, method)
            if found is not None:
                return found
        return None

    def _inferred(
        self, instance: Any, node: ast.FunctionDef | ast.AsyncFunctionDef, required: list[ast.arg]
    ) -> Iterator[tuple[list[Any], dict[str, Any], str]]:
        hints = size_hints(instance)
        options = [
            self._param_options(instance, node, arg, hints, first=index == 0)
            for index, arg in enumerate(required)
        ]
        first, rest = options[0], [o[0] for o in options[1:] if o]
        if len(rest) != len(options) - 1:
            names = ", ".join(a.arg for a, o in zip(required, options, strict=False) if not o)
            self.errors.append(f"no example input could be inferred for {names}")
            return
        for text in first:
            texts = [text, *rest]
            values = [eval(t, {"torch": torch}) for t in texts]
            shown = "; ".join(f"{a.arg} = {t}" for a, t in zip(required, texts, strict=False))
            yield values, {}, f"example input assumed: `{shown}`"

    def _param_options(
        self,
        instance: Any,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        arg: ast.arg,
        hints: dict[str, int],
        first: bool,
    ) -> list[str]:
        annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
        if annotation in SCALARS:
            return [SCALARS[annotation]]
        annotated = annotation_input(annotation, hints) if annotation else None
        if annotated:
            return [annotated]
        layer = consumer(instance, node, arg.arg, fallback=first)
        if layer is None:
            return [] if first else ["None"]
        found = layer_inputs(layer, hints)
        if not found and first and layer is not instance:  # e.g. a pooling layer comes first
            found = layer_inputs(instance, hints)
        return found

    # -- the search -------------------------------------------------------------
    def attempts(self) -> Iterator[Attempt]:
        chain = self.target.function
        if not chain:
            return
        top = chain[0]
        if top in self.index.classes and len(chain) >= 2:
            yield from self._class_attempts(top, chain[1])
            if issubclass_module(self.namespace.get(top)):
                yield from self._through_parents(top)
        elif top in self.index.functions:
            yield from self._function_attempts(top)
            yield from self._through_users(top)

    def _through_users(self, function: str) -> Iterator[Attempt]:
        """Models of the file whose code calls ``function``: build one and run its forward."""
        for name in self.index.users_of(function):
            if not issubclass_module(self.namespace.get(name)):
                continue
            for instance, how in self.instances(name):
                for args, kwargs, given in self.method_inputs(instance, "forward"):
                    yield Attempt(
                        _caller(instance, args, kwargs), f"through `{name}`, {how}; {given}"
                    )
                break

    def _class_attempts(self, cls: str, method: str) -> Iterator[Attempt]:
        for instance, how in self.instances(cls):
            methods = ["forward", method] if isinstance(instance, torch.nn.Module) else [method]
            methods = [m for m in methods if m != "__init__"]  # building it ran __init__
            for name in dict.fromkeys(methods):
                for args, kwargs, given in self.method_inputs(instance, name):
                    call = instance if name == "forward" else getattr(instance, name)
                    yield Attempt(
                        _caller(call, args, kwargs),
                        f"{how}; {given}",
                        assumed="assumed" in given or "default" in how,
                    )

    def _through_parents(self, cls_name: str) -> Iterator[Attempt]:
        cls = self.namespace[cls_name]
        for parent in self.index.classes:
            if parent == cls_name or not issubclass_module(self.namespace.get(parent)):
                continue
            for instance, how in self.instances(parent):
                if not any(isinstance(m, cls) for m in instance.modules()):
                    continue
                for args, kwargs, given in self.method_inputs(instance, "forward"):
                    yield Attempt(
                        _caller(instance, args, kwargs),
                        f"through `{parent}`, {how}; {given}",
                    )

    def _function_attempts(self, name: str) -> Iterator[Attempt]:
        node = self.index.functions[name]
        function = self.namespace.get(name)
        if not callable(function):
            return
        comment = comment_call(self.index.lines, node)
        if comment is not None:
            args, kwargs = eval_call_args(comment, self.namespace)
            yield Attempt(
                lambda: function(*args, **kwargs),
                f"example input from the comment: `{ast.unparse(comment)}`",
            )
        elif not required_args(node, skip_self=False):
            yield Attempt(function, f"called as `{name}()` with its default arguments")


def _caller(function: Any, args: list[Any], kwargs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: function(*args, **kwargs)


def issubclass_module(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, torch.nn.Module)


def consumer(
    instance: Any, node: ast.FunctionDef | ast.AsyncFunctionDef, param: str, fallback: bool = True
) -> Any:
    """The layer that first takes ``param`` in ``node``'s body, or (``fallback``) the model."""
    loops: dict[str, ast.expr] = {}
    for item in ast.walk(node):
        if isinstance(item, (ast.For, ast.comprehension)) and isinstance(item.target, ast.Name):
            loops[item.target.id] = item.iter
    calls = sorted(
        (c for c in ast.walk(node) if isinstance(c, ast.Call) and _takes(c, param)),
        key=lambda c: (c.lineno, c.col_offset),
    )
    for call in calls:
        layer = _resolve(call.func, instance, loops)
        if isinstance(layer, torch.nn.Module):
            return layer
    if fallback and isinstance(instance, torch.nn.Module):
        return instance
    return None


def _takes(call: ast.Call, param: str) -> bool:
    return any(isinstance(a, ast.Name) and a.id == param for a in call.args[:1])


def _resolve(func: ast.expr, instance: Any, loops: dict[str, ast.expr]) -> Any:
    try:
        if isinstance(func, ast.Name) and func.id in loops:
            return next(iter(_evaluate(loops[func.id], instance)))
        return _evaluate(func, instance)
    except Exception:  # noqa: BLE001 - not a layer we can look at
        return None


def _evaluate(expr: ast.expr, instance: Any) -> Any:
    """Evaluate an attribute/subscript chain rooted at ``self`` (nothing else is allowed)."""
    if isinstance(expr, ast.Name) and expr.id == "self":
        return instance
    if isinstance(expr, ast.Attribute):
        return getattr(_evaluate(expr.value, instance), expr.attr)
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        return _evaluate(expr.value, instance)[expr.slice.value]
    raise LookupError("not a chain on self")


def reach(namespace: dict[str, Any], index: Index, tracer: Tracer) -> str:
    """Call the code that holds the target until the probe fires; returns how it was reached.

    Each way runs to its end: an input that reaches the line but breaks the
    code after it is only kept if no other input runs cleanly. Raises
    ``Unreachable`` with the reason when no way reaches the line.
    """
    assert tracer.target is not None
    reacher = Reacher(namespace, index, tracer.target)
    deadline = time.monotonic() + BUDGET_S
    tracer.stop, fallback = False, None
    for tried, attempt in enumerate(reacher.attempts(), 1):
        if tracer.capture is not None:  # reached while building the instance
            return reacher.current
        try:
            attempt.run()
        except (Exception, SystemExit) as error:  # noqa: BLE001 - the next way may work
            reacher.errors.append(f"{attempt.how}: {type(error).__name__}: {error}")
            if tracer.capture is not None and fallback is None:
                fallback = (
                    tracer.capture,
                    f"{attempt.how} (the call failed after this line: {type(error).__name__})",
                )
            tracer.capture = None
        else:
            if tracer.capture is not None:
                return attempt.how
            reacher.errors.append(f"{attempt.how}: finished without reaching the line")
        if tried >= MAX_TRIES or time.monotonic() > deadline:
            break
    if fallback is not None:
        tracer.capture = fallback[0]
        return fallback[1]
    if tracer.capture is not None:  # reached while building the instance
        return reacher.current
    raise Unreachable(_explain(tracer.target, reacher.errors))


def _explain(target: Target, errors: list[str]) -> str:
    where = ".".join(target.function) or "this code"
    name = target.function[-1] if target.function else "f"
    hint = f"add `# torchpeek: {name}(torch.randn(2, 3))` above `def {name}` to give an example"
    if errors:
        return f"the file's run never reaches `{where}`; {errors[0][:300]}; {hint}"
    return f"the file's run never reaches `{where}` and nothing in the file calls it; {hint}"
