"""Exercise checks that say what is wrong: not written yet, shape, dtype, device, value.

Every check prints one line starting with a tick when the answer is right, and raises
``CheckFailed`` (an ``AssertionError``) with an actionable message when it is not.

When a teacher grades (``course grade``), the same checks run in the grader and the student's
function runs in a sandbox: the check sees what it returns, but hooks, recorders and torch
function modes around the call see nothing of how it computed. ``runs_elsewhere(fn)`` tells a
check so; such a check reads the rule from the submitted code instead (``source_of``,
``calls_in``, ``has_loop``) or tests it on inputs where the forbidden way gives another value.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import numbers
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["NOT_DONE", "CheckFailed", "behaves_affinely", "build_model", "call_student", "calls_in", "check_close",
           "check_tensor", "count_torch_calls", "has_loop", "model_scores", "passed", "recording_calls", "runs_elsewhere",
           "source_of", "stays_in_unit_interval"]

NOT_DONE = "replace `raise NotImplementedError()` in the exercise cell with your code, run it, then run this check again"


class CheckFailed(AssertionError):
    """An exercise answer is not right yet; the message says what to change.

    The first one created in Jupyter makes IPython show failed checks as one line (their
    message) instead of a traceback into this module; importing this module changes nothing.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        _register_with_ipython()


def _show_only_the_message(shell: Any, etype: type, value: BaseException, tb: Any,
                           tb_offset: int | None = None) -> list[str]:
    """IPython handler: a failed check shows its message, not a traceback into this module."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


@functools.cache
def _register_with_ipython() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CheckFailed,), _show_only_the_message)


def passed(name: str, detail: str = "") -> None:
    """Print the line a check shows for a right answer."""
    print(f"✅ {name} is correct" + (f" ({detail})" if detail else ""))


def call_student(fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any) -> Any:
    """Call a student's function, turning a missing answer into a friendly ``CheckFailed``.

    Example:
        >>> call_student(lambda x: x + 1, 1)
        2
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise CheckFailed(f"{name} should be a function, but it is {type(fn).__name__}: define it with `def`.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not written yet: {NOT_DONE}.") from None
    except Exception as err:  # noqa: BLE001 - any failure in student code is reported, not re-raised raw
        raise CheckFailed(f"{name} raised {type(err).__name__}: {err}") from err


def check_tensor(
    actual: Any,
    expected: torch.Tensor,
    *,
    name: str = "your answer",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    check_dtype: bool = True,
    check_device: bool = True,
    quiet: bool = False,
) -> None:
    """Compare a student's tensor with the expected one: type, shape, dtype, device, values.

    Example:
        >>> check_tensor(torch.ones(2), torch.ones(2), name="x")
        ✅ x is correct
    """
    if actual is None:
        raise CheckFailed(f"{name} is still None: {NOT_DONE}.")
    if not isinstance(actual, torch.Tensor):
        raise CheckFailed(f"{name} should be a torch.Tensor, but it is a {type(actual).__name__}. "
                          "Use torch.tensor(...) or a torch function to build it.")
    if actual.shape != expected.shape:
        raise CheckFailed(f"{name} has shape {tuple(actual.shape)} but should have shape "
                          f"{tuple(expected.shape)}. Check which dimensions you reduce, add or reshape.")
    if check_dtype and actual.dtype != expected.dtype:
        raise CheckFailed(f"{name} has dtype {actual.dtype} but should have {expected.dtype}. "
                          f"Convert with .to({expected.dtype}) or create it with dtype={expected.dtype}.")
    if check_device and actual.device.type != expected.device.type:
        raise CheckFailed(f"{name} is on {actual.device} but should be on {expected.device}. "
                          f"Move it with .to({str(expected.device)!r}).")
    a = actual.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    if not torch.allclose(a, e, atol=atol, rtol=rtol, equal_nan=True):
        diff = (a - e).abs()
        worst = int(diff.argmax()) if diff.numel() else 0
        where = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), e.shape)) if e.dim() else ()
        raise CheckFailed(
            f"{name} has the right shape but wrong values: at index {where} it is "
            f"{a.flatten()[worst].item():.6g}, expected {e.flatten()[worst].item():.6g} "
            f"(off by {diff.max().item():.3g}; allowed {atol:g} + {rtol:g}·|expected|)."
        )
    if not quiet:
        passed(name)


def check_close(actual: Any, expected: float, *, name: str = "your answer",
                atol: float = 1e-6, rtol: float = 1e-5, quiet: bool = False) -> None:
    """Compare a number (Python float or one-element tensor) with the expected value.

    Example:
        >>> check_close(0.1 + 0.2, 0.3, name="sum")
        ✅ sum is correct
    """
    if actual is None:
        raise CheckFailed(f"{name} is still None: {NOT_DONE}.")
    if isinstance(actual, torch.Tensor):
        if actual.numel() != 1:
            raise CheckFailed(f"{name} should be a single number, but it is a tensor of shape "
                              f"{tuple(actual.shape)}. Reduce it (e.g. .mean()) or take .item().")
        actual = actual.item()
    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        raise CheckFailed(f"{name} should be a number, but it is a {type(actual).__name__}.")
    actual = float(actual)  # NumPy's float32 and float64 are numbers too
    if actual != actual:
        raise CheckFailed(f"{name} is nan (not a number): look for a division by zero or a log of 0.")
    if abs(actual - expected) > atol + rtol * abs(expected):
        raise CheckFailed(f"{name} is {actual:.6g}, expected {expected:.6g} "
                          f"(off by {abs(actual - expected):.3g}; allowed {atol:g} + {rtol:g}·|expected|).")
    if not quiet:
        passed(name)


class _CountTorchCalls(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.count += 1
        return func(*args, **(kwargs or {}))


def count_torch_calls(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Run ``fn(*args, **kwargs)`` and count the torch functions and tensor methods it called.

    A loop-free answer makes the same number of calls whatever the size of its inputs; a
    Python loop over rows makes more calls for larger inputs. Checks use this to enforce
    "no loops".

    Example:
        >>> _, calls = count_torch_calls(lambda a: (a * 2).sum(), torch.ones(3))
        >>> calls
        2
    """
    with _CountTorchCalls() as counter:
        result = fn(*args, **kwargs)
    return result, counter.count


@contextmanager
def recording_calls(*targets: tuple[Any, str]) -> Iterator[dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]]:
    """Record the calls of ``owner.name`` for each ``(owner, name)`` while the block runs.

    Yields a dict from ``"owner.name"`` to the list of ``(args, kwargs)`` of each call; the
    originals are restored afterwards, even on error. Checks use it to enforce what an exercise
    forbids or requires (no ``lstsq``, a ``DataLoader``, no autograd). Targets missing in this
    version of a library are skipped.

    Example:
        >>> with recording_calls((torch.linalg, "lstsq")) as calls:
        ...     _ = torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1))
        >>> len(calls["torch.linalg.lstsq"])
        1
    """
    calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}
    undo = []
    try:
        for owner, attr in targets:
            original = getattr(owner, attr, None)
            if original is None:
                continue
            key = f"{getattr(owner, '__name__', type(owner).__name__)}.{attr}"
            calls[key] = []

            def wrapper(*args: Any, _key: str = key, _original: Any = original, **kwargs: Any) -> Any:
                calls[_key].append((args, kwargs))
                return _original(*args, **kwargs)

            own = attr in vars(owner)
            setattr(owner, attr, wrapper)
            undo.append((owner, attr, original if own else None))
        yield calls
    finally:
        for owner, attr, original in reversed(undo):
            if original is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)


def runs_elsewhere(fn: Any) -> bool:
    """True when ``fn`` is the grader's handle on a student's function that runs in a sandbox:
    instruments around the call (hooks, ``recording_calls``, torch function modes) see nothing.

    Example:
        >>> runs_elsewhere(len)
        False
    """
    return bool(getattr(type(fn), "__course_remote__", False))


def source_of(fn: Any) -> str:
    """The code of a student's function or class and of the notebook's functions and classes it
    uses: from the submitted file when grading, else as Python finds it (``""`` if unknown).

    Example:
        >>> def twice(x):
        ...     return 2 * x
        >>> source_of(twice).splitlines()[0]
        'def twice(x):'
    """
    hook = getattr(type(fn), "__course_source__", None)
    if hook is not None:
        return str(hook(fn))
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return ""


def _tree(source: str) -> ast.AST | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def calls_in(source: str) -> list[tuple[str, dict[str, Any]]]:
    """Each call in ``source``: the called name (the last part of ``torch.optim.SGD``) and its
    keyword arguments given as literals (others as ``...``).

    Example:
        >>> calls_in("loader = DataLoader(data, batch_size=32, shuffle=flag)")
        [('DataLoader', {'batch_size': 32, 'shuffle': Ellipsis})]
    """
    tree = _tree(source)
    found = []
    for node in ast.walk(tree) if tree is not None else []:
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            keywords = {}
            for keyword in node.keywords:
                if keyword.arg is not None:
                    try:
                        keywords[keyword.arg] = ast.literal_eval(keyword.value)
                    except ValueError:
                        keywords[keyword.arg] = ...
            found.append((name, keywords))
    return found


def has_loop(source: str) -> bool:
    """Does ``source`` loop in Python (``for``, ``while`` or a comprehension)?

    Example:
        >>> has_loop("def f(A):\\n    return (A ** 2).sum(1)"), has_loop("def f(A):\\n    return [a.sum() for a in A]")
        (False, True)
    """
    tree = _tree(source)
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return tree is not None and any(isinstance(node, loops) for node in ast.walk(tree))


# ---------------------------------------------------------------- a student's network with one score per row


def build_model(cls: Any, *args: Any, name: str, class_line: str) -> torch.nn.Module:
    """``cls(*args)`` for a student's network class, with the two classic mistakes named: no
    ``super().__init__()`` before the layers, and a class that is not an ``nn.Module``
    (``class_line`` shows the right first line, e.g. ``"class XorMLP(nn.Module):"``).

    Example:
        >>> build_model(torch.nn.Linear, 2, 1, name="Linear(2, 1)", class_line="class Net(nn.Module):")
        Linear(in_features=2, out_features=1, bias=True)
    """
    try:
        model = call_student(cls, *args, name=name)
    except CheckFailed as err:
        if "before Module.__init__() call" in str(err):
            raise CheckFailed(f"{name}: call super().__init__() as the first line of __init__, before creating any "
                              "layer.") from None
        raise
    if not isinstance(model, torch.nn.Module):
        raise CheckFailed(f"{name} is a {type(model).__name__}, not a network: inherit from nn.Module, `{class_line}`.")
    return model


def model_scores(model: torch.nn.Module, X: torch.Tensor, name: str, *, row: str = "example", score: str = "score",
                 last_layer: str = "nn.Linear(hidden, 1)") -> torch.Tensor:
    """The student's network on ``X``, checked to give one float ``score`` per ``row`` as a column
    (shape (N, 1), what ``last_layer`` gives); returned detached, as float64 on the CPU.

    Example:
        >>> model_scores(torch.nn.Linear(2, 1), torch.zeros(3, 2), "net").shape
        torch.Size([3, 1])
    """
    out = call_student(model, X.clone(), name=f"{name}(X)")
    n = X.shape[0]
    if out is None:
        raise CheckFailed(f"{name}(X) returned None: forward must `return` the output of the last layer.")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(f"{name}(X) returned a {type(out).__name__}; forward should return a tensor.")
    if tuple(out.shape) == (n,):
        raise CheckFailed(f"{name}(X) returned shape ({n},) for {n} {row}s; return shape ({n}, 1), the output of "
                          f"{last_layer} as it is (the training code squeezes it, not forward).")
    if out.dim() == 2 and out.shape[0] == n and out.shape[1] != 1:
        raise CheckFailed(f"{name}(X) returned shape {tuple(out.shape)}: the last layer should have 1 output, "
                          f"{last_layer}, one {score} per {row}.")
    if tuple(out.shape) != (n, 1):
        raise CheckFailed(f"{name}(X) returned shape {tuple(out.shape)} for an input of shape {tuple(X.shape)}; it "
                          f"should return ({n}, 1): one {score} per {row}, from a last layer {last_layer}.")
    if not out.is_floating_point():
        raise CheckFailed(f"{name}(X) returned {out.dtype} values; return the float {score}s of the last layer.")
    return out.detach().to("cpu", torch.float64)


def behaves_affinely(scores: Callable[[torch.Tensor], torch.Tensor], A: torch.Tensor, B: torch.Tensor) -> bool:
    """Whether f(a) + f(b) = f(a + b) + f(0) on every row of ``A`` and ``B``: exactly what an affine
    function does (linear layers with no activation between them), and what a network with a
    nonlinearity does not.

    Example:
        >>> A, B = torch.randn(8, 2), torch.randn(8, 2)
        >>> behaves_affinely(torch.nn.Linear(2, 1), A, B), behaves_affinely(lambda x: x.tanh().sum(1, keepdim=True), A, B)
        (True, False)
    """
    with torch.no_grad():
        fa, fb, fab, f0 = (scores(Z).double() for Z in (A, B, A + B, torch.zeros_like(A)))
    scale = 1 + max(t.abs().max().item() for t in (fa, fb, fab, f0))
    return (fa + fb - fab - f0).abs().max().item() <= 1e-4 * scale


def stays_in_unit_interval(scores: Callable[[torch.Tensor], torch.Tensor], radius: float = 100.0) -> bool:
    """Whether a network of two inputs keeps every output in [0, 1] on a ring of large inputs, as a
    final sigmoid does (a raw score, a logit, leaves it somewhere on the ring).

    Example:
        >>> stays_in_unit_interval(lambda x: torch.sigmoid(x[:, :1])), stays_in_unit_interval(lambda x: x[:, :1])
        (True, False)
    """
    angles = torch.linspace(0, 2 * math.pi, 65)[:-1]
    with torch.no_grad():
        out = scores(radius * torch.stack([angles.cos(), angles.sin()], dim=1))
    return bool((out >= 0).all() and (out <= 1).all())
