"""Exercise checks that say what is wrong: not written yet, shape, dtype, device, value, how.

Every check prints one line starting with a tick when the answer is right, and raises
``CheckFailed`` (an ``AssertionError``) with an actionable message when it is not.

The check author's contract
===========================

1. **One verdict in two places.** A check runs in the student's notebook, where the answer is
   a local function or class, and in ``course grade``, where it is the grader's handle on the
   answer in the student's sandbox (``runs_elsewhere``): calls go there with copies of their
   arguments, and results come back as data (a tensor keeps its gradient: ``backward`` works
   across). A check gives the same verdict and the same message in both; the unit tests run
   every check both ways (``tests/both_ways.py``).
2. **Behaviour first.** Decide from what the answer does with inputs the check made: values,
   shapes, gradients, several sizes and seeds (a size typed into the answer fails one of them),
   and what objects the check owns reveal when the answer uses them: a check network with
   dropout and BatchNorm tells whether a loop switches modes, one that adds the batch size to
   each row tells how it batches, and a student's network whose weights the check sets through
   ``load_state_dict`` shows its activation, its pooling and its output layer exactly
   (``course_utils.probes``). Never decide from hooks, recorders or torch function modes
   around the call: in the grader they see nothing.
3. **Else the code, read once.** A rule on *how* that behaviour cannot tell (no Python loop, no
   ready-made loss or LSTM, no autograd, the homework's method) is decided by
   ``course_utils.code_reading.read_answer(answer, name)``: the answer's code and the notebook
   code it uses, imports and aliases resolved, nested and dead code seen, read from the cells
   the notebook ran or the grader was handed. The message names what it found (a ``Use``: what
   it is, as written, on which line of which definition). Code the reading cannot follow
   (``exec`` of a computed string, ``getattr`` with a computed name, an answer imported from a
   file) fails with its ``problem``: it never passes unseen. ``rule_on_how`` applies such a rule,
   and lets the course's own reference solution (``REFERENCES``, imported by the student version's
   "stuck?" line) pass: its code keeps every rule, and ``course grade`` gives it no points.
4. **Undecidable means advice.** What neither behaviour nor the reading can decide reliably
   (whether a homework's inputs were standardised inside its run) never changes a verdict: the
   notebook may print it with ``advise``, which says that the grader does not check it.
5. **Every failure is a message.** Call student code only through ``call_student``: forward
   passes, ``len``, ``train()``, ``parameters()`` and other methods included. Its exceptions
   become messages that name the likely cause (``RAW_ERRORS``). Expect any return type, and show
   a student's value with ``shown`` (its ``repr`` differs across the sandbox). Build the expected
   answer from the check's own pristine data, never from an object the student's code was
   handed, and hand each call a fresh copy: what the code does to it is behaviour to judge,
   never data to reuse.
6. **Fast.** A unit test of a check takes milliseconds; a check in a notebook at most a couple of
   seconds on a laptop's CPU (``tests/bench/bench_checks.py`` measures them). Exact probes
   rather than long training: a weight set by the check answers in one forward pass what
   training answers statistically.
"""

from __future__ import annotations

import functools
import numbers
import re
import sys
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import torch

from course_utils.code_reading import REFERENCES, read_answer

__all__ = [
    "NOT_DONE",
    "RAW_ERRORS",
    "REFERENCES",
    "CheckFailed",
    "advise",
    "call_student",
    "check_close",
    "check_tensor",
    "likely_cause",
    "passed",
    "rule_on_how",
    "runs_elsewhere",
    "shown",
]

NOT_DONE = "replace `raise NotImplementedError()` in the exercise cell with your code, run it, then run this check again"

#: PyTorch's errors that students meet most, each with its usual cause (a pattern of the message, a hint).
RAW_ERRORS: tuple[tuple[str, str], ...] = (
    (
        r"does not require grad and does not have a grad_fn",
        "backward() was called on a tensor without a graph: it was computed under torch.no_grad(), after .detach() "
        "or .item(), or from tensors that do not require grad. Compute the loss from the model's output with torch "
        "operations",
    ),
    (
        r"mat1 and mat2 shapes cannot be multiplied",
        "a matrix product got shapes that do not fit: (a × b) @ (c × d) needs b = c. Check the order of the operands, "
        "which one to transpose (.T), and that a layer's input size is the size that reaches it",
    ),
    (
        r"masked_fill_? only supports boolean masks",
        "the mask must be a bool tensor: make it with dtype=torch.bool, or add .bool()",
    ),
    (
        r"stack expects each tensor to be equal size",
        "torch.stack needs tensors of one shape, and the last batch is usually smaller: join batches with torch.cat",
    ),
    (
        r"a leaf Variable that requires grad is being used in an in-place operation",
        "a tensor that requires grad was changed in place (+=, -=, .add_(), x[...] = ...): compute a new tensor "
        "instead, and change parameters only with optimizer.step() or inside torch.no_grad()",
    ),
    (
        r"modified by an inplace operation",
        "a tensor was changed in place after autograd used it: write x = x * 2, not x *= 2 or x.mul_(2)",
    ),
    (
        r"backward through the graph a second time",
        "backward() ran twice through one graph: compute the loss anew in every step, from that step's forward pass",
    ),
    (
        r"grad can be implicitly created only for (real )?scalar outputs",
        "backward() was called on several numbers: reduce the loss to one number first (.mean())",
    ),
    (
        r"Expected all tensors to be on the same device",
        "the tensors are on different devices: move them with .to(device)",
    ),
    (
        r"shape '\[.*\]' is invalid for input of size",
        "a view or reshape with a size typed in: use -1 or the input's own sizes (x.shape[0], x.flatten(1))",
    ),
    (
        r"view size is not compatible with input tensor's size and stride",
        "use .reshape() or .flatten(1) instead of .view() on a tensor that is not contiguous",
    ),
    (
        r"must match the size of tensor",
        "two tensors whose shapes do not broadcast together: print their .shape where the operation combines them",
    ),
    (
        r"expected scalar type|expected both vectors to have same dtype|found dtype",
        "tensors of different dtypes meet: convert with .float() or .to(other.dtype)",
    ),
    (
        r"Can't call numpy\(\) on Tensor that requires grad",
        "call .detach() before .numpy(), or keep to torch operations",
    ),
    (
        r"expected input.* to have \d+ channels",
        "a convolution got another number of channels than it was built for: in_channels must equal the input's "
        "second dimension",
    ),
    (
        r"Boolean value of Tensor with more than one value is ambiguous",
        "an if, and, or, or not on a tensor of several values: use torch.where(...), .all() or .any()",
    ),
    (
        r"Dimension out of range",
        "a dim that the tensor does not have: check its number of dimensions (x.dim()) and the dim you pass",
    ),
    (
        r"'NoneType' object",
        "a value is None: a function (forward?) that does not `return` its result",
    ),
)


class CheckFailed(AssertionError):
    """An exercise answer is not right yet; the message says what to change.

    The first one created in Jupyter makes IPython show failed checks as one line (their
    message) instead of a traceback into this module; importing this module changes nothing.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        _register_with_ipython()


def _show_only_the_message(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
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


def shown(value: Any) -> str:
    """A student's value in a message, the same in the notebook and in the grader: a short literal as it is,
    anything else by its type (a handle on an object in the grader has another ``repr``).

    Example:
        >>> shown(54.0), shown("54"), shown(object()), shown(torch.ones(2))
        ('54.0', "'54'", 'a object', 'a tensor of shape (2,)')
    """
    if value is None or type(value) in (bool, int, float, str):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def likely_cause(err: BaseException) -> str:
    """The usual cause of a PyTorch error a student meets, from ``RAW_ERRORS`` ("" if unknown).

    Example:
        >>> likely_cause(RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype float"))
        'the mask must be a bool tensor: make it with dtype=torch.bool, or add .bool()'
    """
    text = str(err)
    return next((hint for pattern, hint in RAW_ERRORS if re.search(pattern, text)), "")


def call_student(fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any) -> Any:
    """Call a student's function, turning a missing answer or any exception into a ``CheckFailed``
    that names the exception and its likely cause.

    Example:
        >>> call_student(lambda x: x + 1, 1)
        2
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise CheckFailed(
            f"{name} should be a function, but it is {type(fn).__name__}: define it with `def`."
        )
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not written yet: {NOT_DONE}.") from None
    except RecursionError:
        raise CheckFailed(f"{name} calls itself without end (RecursionError).") from None
    except Exception as err:  # noqa: BLE001 - any failure in student code is reported, not re-raised raw
        text = " ".join(str(err).split())
        text = text if len(text) <= 300 else text[:297] + "..."
        cause = likely_cause(err)
        text = text.rstrip(".")
        raise CheckFailed(
            f"{name} raised {type(err).__name__}: {text}"
            + (f". Likely cause: {cause}." if cause else "")
        ) from err


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
        raise CheckFailed(
            f"{name} should be a torch.Tensor, but it is a {type(actual).__name__}. "
            "Use torch.tensor(...) or a torch function to build it."
        )
    if actual.shape != expected.shape:
        raise CheckFailed(
            f"{name} has shape {tuple(actual.shape)} but should have shape "
            f"{tuple(expected.shape)}. Check which dimensions you reduce, add or reshape."
        )
    if check_dtype and actual.dtype != expected.dtype:
        raise CheckFailed(
            f"{name} has dtype {actual.dtype} but should have {expected.dtype}. "
            f"Convert with .to({expected.dtype}) or create it with dtype={expected.dtype}."
        )
    if check_device and actual.device.type != expected.device.type:
        raise CheckFailed(
            f"{name} is on {actual.device} but should be on {expected.device}. "
            f"Move it with .to({str(expected.device)!r})."
        )
    a = actual.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    if not torch.allclose(a, e, atol=atol, rtol=rtol, equal_nan=True):
        diff = (a - e).abs()
        worst = int(diff.argmax()) if diff.numel() else 0
        where = (
            tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), e.shape))
            if e.dim()
            else ()
        )
        raise CheckFailed(
            f"{name} has the right shape but wrong values: at index {where} it is "
            f"{a.flatten()[worst].item():.6g}, expected {e.flatten()[worst].item():.6g} "
            f"(off by {diff.max().item():.3g}; allowed {atol:g} + {rtol:g}·|expected|)."
        )
    if not quiet:
        passed(name)


def check_close(
    actual: Any,
    expected: float,
    *,
    name: str = "your answer",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    quiet: bool = False,
) -> None:
    """Compare a number (Python float or one-element tensor) with the expected value.

    Example:
        >>> check_close(0.1 + 0.2, 0.3, name="sum")
        ✅ sum is correct
    """
    if actual is None:
        raise CheckFailed(f"{name} is still None: {NOT_DONE}.")
    if isinstance(actual, torch.Tensor):
        if actual.numel() != 1:
            raise CheckFailed(
                f"{name} should be a single number, but it is a tensor of shape "
                f"{tuple(actual.shape)}. Reduce it (e.g. .mean()) or take .item()."
            )
        actual = actual.item()
    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        raise CheckFailed(f"{name} should be a number, but it is a {type(actual).__name__}.")
    actual = float(actual)  # NumPy's float32 and float64 are numbers too
    if actual != actual:
        raise CheckFailed(
            f"{name} is nan (not a number): look for a division by zero or a log of 0."
        )
    if abs(actual - expected) > atol + rtol * abs(expected):
        raise CheckFailed(
            f"{name} is {actual:.6g}, expected {expected:.6g} "
            f"(off by {abs(actual - expected):.3g}; allowed {atol:g} + {rtol:g}·|expected|)."
        )
    if not quiet:
        passed(name)


def rule_on_how(answer: Any, name: str, why: str, *patterns: str, loops: bool = False) -> None:
    """Apply a rule on how ``answer`` computes, decided from its code as ``course_utils.code_reading`` reads it
    (the same in the notebook and in the grader): fail with the reading's problem when it cannot read it, and
    with ``why`` (its ``{use}`` filled in with what was found) when the code uses what ``patterns`` match or,
    with ``loops``, when it loops in Python.

    Example:
        >>> def bce(p, y):
        ...     return torch.nn.functional.binary_cross_entropy(p, y)
        >>> rule_on_how(bce, "bce", "bce calls {use}", "torch.*binary_cross_entropy*")
        Traceback (most recent call last):
        course_utils.checks.CheckFailed: bce calls torch.nn.functional.binary_cross_entropy on line 2 of bce
    """
    reading = read_answer(answer, name)
    if _is_reference(reading.imported, answer):
        return  # the course's own solution, imported: it keeps the rule, and a grade gives it no points
    if reading.problem:
        raise CheckFailed(reading.problem)
    found = reading.loops() if loops else reading.uses(*patterns)
    if found:
        raise CheckFailed(why.format(use=found[0]))


def _is_reference(imported: str, answer: Any) -> bool:
    """Whether ``answer``, imported as ``imported``, is one of the course's reference solutions (in the grader,
    whose handle is not the object, the import says it; it then earns no points there)."""
    module, _, attribute = imported.rpartition(".")
    return fnmatchcase(imported, REFERENCES) and (
        runs_elsewhere(answer) or getattr(sys.modules.get(module), attribute, None) is answer
    )


def runs_elsewhere(answer: Any) -> bool:
    """True when ``answer`` is the grader's handle on a student's function that runs in a sandbox.

    Example:
        >>> runs_elsewhere(len)
        False
    """
    return bool(getattr(type(answer), "__course_remote__", False))


def advise(answer: Any, text: str) -> None:
    """Print advice on ``answer`` that no check can decide reliably, in the notebook only: it never
    changes a verdict, and the grader does not check it.

    Example:
        >>> advise(len, "standardise the features first")
        💡 standardise the features first (advice: the grader does not check this)
    """
    if not runs_elsewhere(answer):
        print(f"💡 {text} (advice: the grader does not check this)")
