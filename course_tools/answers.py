"""The student's answers as data: how the grader asks a sandboxed notebook for them without trusting it.

Two halves speak one protocol (one JSON object per line over a pair of pipes).

**In the sandbox** (``python -I -m course_tools.answers CELLS LIMITS READ_FD WRITE_FD``), ``run``
executes the submission's code cells one by one in an IPython shell (the cell syntax of Jupyter:
magics, ``!`` commands, ``display``), its printed output counted and thrown away. At each check
cell it *serves* first: it answers the grader's requests (look a name up, call a function or a
class, get or set an attribute, iterate, send a gradient back) until the grader says
``continue``; then it runs the cell as the notebook would, and that run's output and ✅ mean
nothing. Everything in the sandbox belongs to the student: the process, its answers and every
message it sends. No message is a verdict: the sandbox can only answer, announce a cell, or stop.

**In the grader** (``Session``, ``Remote``, ``Namespace``, ``run_check``), the teacher's check
cell runs from the course's own code in the grader's process. A name it needs from the notebook
comes back from the sandbox as plain data (numbers, strings, tensors, arrays, and tuples, lists
and dicts of them) or as a ``Remote``: a handle on a function, class or object that stays in the
sandbox. Calling a handle sends the arguments into the sandbox (``cloudpickle``), runs the
student's code there, and brings back the result the same way, plus the new values of the
tensors and modules it was given (so a check sees what the call changed in place). A result
tensor that has a graph in the sandbox gets a ``backward`` here that asks the sandbox to
propagate the gradient through the student's graph (so ``loss.backward()`` and
``torch.autograd.grad`` work across the boundary, to the check's inputs and to the student's
parameters).

What comes back is rebuilt by ``decode`` alone, field by field, with limits: types from a short
list, tensors and arrays as raw bytes of a whitelisted dtype whose size must match their shape,
bounded nesting, at most ``MAX_MESSAGE`` bytes per message and ``Channel.budget`` in all. Nothing
is unpickled in the grader, and a handle never becomes an instance of a class the student
named: it only *says* it is one (``isinstance(handle, Dataset)``) when the class lives in
``torch``, ``numpy`` or ``course_utils`` and is already imported, and it never runs that class's
code. The grader's own exceptions for a stop (``GradingStop``: time limit, a closed sandbox, a
malformed message, an answer too large) derive from ``BaseException``, so a check's
``except Exception`` cannot turn them into a student's mistake.
"""

from __future__ import annotations

import ast
import base64
import builtins
import collections
import dataclasses
import importlib
import io
import json
import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "AnswerTooLarge", "Channel", "GradingStop", "Namespace", "ProtocolError", "Remote", "SandboxGone", "Session",
    "StudentError", "TimeLimit", "check_statements", "decode", "encode", "notebook_imports", "run",
    "run_check", "serve",
]

MAX_MESSAGE = 64 * 2**20  # bytes in one message
MAX_DEPTH = 32  # nesting of containers in one value
MAX_NODES = 200_000  # items in one value (containers, numbers, tensors, ...)
_TENSOR_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                  "uint8", "bool", "complex64", "complex128")
_ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex: never object arrays
#: Modules whose classes a handle may *say* it is an instance of (for ``isinstance`` in checks).
_CLAIMABLE = ("torch", "numpy", "course_utils")


class GradingStop(BaseException):
    """The grader stops this submission (not a student's exception: checks cannot catch it)."""


class ProtocolError(GradingStop):
    """The sandbox sent something that is not a well-formed message: only tampering does that."""


class SandboxGone(GradingStop):
    """The sandbox stopped answering: it exited, crashed or was stopped by a limit."""


class TimeLimit(GradingStop):
    """The sandbox did not answer before the submission's time was up."""


class AnswerTooLarge(GradingStop):
    """The sandbox's answers passed the grader's size limit for one submission."""


# ---------------------------------------------------------------- values as data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encode(value: Any, handle: Callable[[Any], dict[str, Any]] | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-ready data; what is not plain data becomes ``handle(value)`` (or ``TypeError``).

    Runs in the sandbox. Tensors keep their ``requires_grad``, their ``.grad`` (a leaf's) and,
    through ``handle``, a key to their graph.

    Example:
        >>> encode((1, "a", None, 2.5))
        {'t': 'tuple', 'v': [1, 'a', None, 2.5]}
    """
    np, torch = sys.modules.get("numpy"), sys.modules.get("torch")  # never imported here: a value of theirs means they are

    def remote() -> Any:
        if handle is None:
            raise TypeError(f"{type(value).__name__} is not plain data")
        return handle(value)

    if depth > MAX_DEPTH:
        raise TypeError("nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value if abs(value) < 2**63 else {"t": "bigint", "v": str(value)[:4000]}
    if type(value) is float:
        return value if value == value and abs(value) != float("inf") else {"t": "float", "v": repr(value)}
    if type(value) in (tuple, list):
        return {"t": type(value).__name__, "v": [encode(v, handle, depth + 1) for v in value]}
    if type(value) is dict or type(value) in (collections.OrderedDict, collections.defaultdict):
        return {"t": "dict", "v": [[encode(k, None, depth + 1), encode(v, handle, depth + 1)] for k, v in value.items()]}
    if isinstance(value, tuple) and _record_fields(type(value)):  # a NamedTuple: a tuple whose items have names
        return {"t": "namedtuple", "name": type(value).__name__, "fields": list(type(value)._fields),
                "v": [encode(v, handle, depth + 1) for v in tuple.__iter__(value)]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and _field_name(type(value).__name__.lstrip("_")) \
            and all(_field_name(f.name) for f in dataclasses.fields(value)):
        fields = [f.name for f in dataclasses.fields(value)]
        return {"t": "dataclass", "name": type(value).__name__, "fields": fields,
                "v": [encode(getattr(value, name), handle, depth + 1) for name in fields]}
    if torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter):
        name = str(value.dtype).removeprefix("torch.")
        if name not in _TENSOR_DTYPES or value.layout != torch.strided or value.is_quantized:
            return remote()
        flat = value.detach().to("cpu").resolve_conj().resolve_neg().contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        out = {"t": "tensor", "dtype": name, "shape": list(value.shape), "device": value.device.type,
               "requires_grad": value.requires_grad, "parameter": type(value) is torch.nn.Parameter,
               "data": _b64(data)}
        if value.grad_fn is not None and handle is not None:
            out["graph"] = handle(("graph", value))["key"]
        if value.is_leaf and value.grad is not None and type(value.grad) is torch.Tensor:
            out["grad"] = encode(value.grad, None, depth + 1)
        return out
    if np is not None and type(value) is np.ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            return remote()
        return {"t": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                "data": _b64(np.ascontiguousarray(value).tobytes())}
    if np is not None and isinstance(value, np.generic) and type(value).__module__ == "numpy" \
            and value.dtype.kind in _ARRAY_KINDS:
        return {"t": "npscalar", "dtype": value.dtype.str, "data": _b64(value.tobytes())}
    if torch is None:
        return remote()
    if type(value) is torch.dtype:
        return {"t": "dtype", "v": str(value).removeprefix("torch.")}
    if type(value) is torch.device:
        return {"t": "device", "v": str(value)}
    if type(value) is torch.Size:
        return {"t": "size", "v": [int(v) for v in value]}
    if type(value) is torch.Generator and value.device.type == "cpu":
        return {"t": "generator", "state": encode(value.get_state(), None, depth + 1)}
    return remote()


def _record_fields(cls: type) -> bool:
    """Whether ``cls`` is a named tuple whose names a record made in the grader may have."""
    fields = getattr(cls, "_fields", None)
    return issubclass(cls, tuple) and type(fields) is tuple and _field_name(cls.__name__.lstrip("_")) \
        and all(_field_name(f) for f in fields)


def _field_name(name: Any) -> bool:
    """A name a field of a record (named tuple, dataclass) made in the grader may have: never private or magic.

    Example:
        >>> _field_name("weight"), _field_name("_asdict"), _field_name("__class__"), _field_name("class")
        (True, False, False, False)
    """
    import keyword

    return type(name) is str and name.isidentifier() and not name.startswith("_") and not keyword.iskeyword(name) \
        and len(name) <= 60


_RECORDS: dict[tuple[str, str, tuple[str, ...]], type] = {}


def _record(kind: str, name: Any, fields: Any) -> type:
    """The grader's own named tuple or frozen dataclass for a record the sandbox described: only its
    name and field names are the student's (checked), none of its code."""
    if type(name) is not str or not _field_name(name.lstrip("_")) or type(fields) is not list or len(fields) > 64 or len(set(fields)) != len(fields) \
            or not all(_field_name(f) for f in fields):
        raise ProtocolError(f"a {kind} with bad names")
    key = (kind, name, tuple(fields))
    if key not in _RECORDS:
        if kind == "namedtuple":
            cls = collections.namedtuple(name, fields, module="student")
        else:
            cls = dataclasses.make_dataclass(name, fields, frozen=True, namespace={"__module__": "student"})
        _RECORDS[key] = cls
    return _RECORDS[key]


class _Budget:
    """Counts the nodes of one decoded value."""

    def __init__(self) -> None:
        self.nodes = 0

    def take(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ProtocolError(f"an answer with more than {MAX_NODES} items")


def decode(data: Any, session: Session | None = None, link: tuple[Any, ...] = (), depth: int = 0,
           budget: _Budget | None = None) -> Any:
    """The value ``encode`` described, checked field by field; ``ProtocolError`` if malformed.

    Handles become ``Remote`` proxies of ``session``; a tensor with a graph gets a ``backward``
    through ``session`` to the inputs ``link`` names (see ``Session.call``).

    Example:
        >>> decode({'t': 'tuple', 'v': [1, 'a', None]})
        (1, 'a', None)
    """
    import numpy as np
    import torch

    budget = budget or _Budget()
    budget.take()
    if depth > MAX_DEPTH:
        raise ProtocolError("an answer nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or type(data.get("t")) is not str:
        raise ProtocolError(f"not an encoded value: {_short(data)}")
    kind, v = data["t"], data.get("v")
    try:
        if kind in ("tuple", "list"):
            if type(v) is not list:
                raise ProtocolError(f"a {kind} without items")
            items = [decode(x, session, link, depth + 1, budget) for x in v]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            if type(v) is not list or not all(type(p) is list and len(p) == 2 for p in v):
                raise ProtocolError("a dict that is not a list of pairs")
            out = {}
            for k, x in v:
                key = decode(k, None, (), depth + 1, budget)
                try:
                    hash(key)
                except TypeError:
                    raise ProtocolError("an unhashable dict key") from None
                out[key] = decode(x, session, link, depth + 1, budget)
            return out
        if kind in ("namedtuple", "dataclass"):
            cls = _record(kind, data.get("name"), data.get("fields"))
            if type(v) is not list or len(v) != len(data["fields"]):
                raise ProtocolError(f"a {kind} whose values do not match its fields")
            items = [decode(x, session, link, depth + 1, budget) for x in v]
            return cls(*items)
        if kind == "float":
            if v not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"a bad float {_short(v)}")
            return float(v)
        if kind == "bigint":
            if type(v) is not str or not v.lstrip("-").isdigit():
                raise ProtocolError("a bad integer")
            return int(v)
        if kind == "tensor":
            return _decode_tensor(data, session, link, depth, budget)
        if kind in ("ndarray", "npscalar"):
            dtype = np.dtype(str(data["dtype"]))
            if dtype.kind not in _ARRAY_KINDS or dtype.hasobject:
                raise ProtocolError(f"array dtype {dtype} is not allowed")
            raw = base64.b64decode(str(data["data"]), validate=True)
            if kind == "npscalar":
                if len(raw) != dtype.itemsize:
                    raise ProtocolError("a NumPy scalar of the wrong size")
                return np.frombuffer(raw, dtype=dtype)[0]
            shape = _shape(data["shape"])
            if _count(shape) * dtype.itemsize != len(raw):
                raise ProtocolError("an array whose data does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if kind == "dtype":
            dtype = getattr(torch, str(v), None)
            if str(v) not in _TENSOR_DTYPES or not isinstance(dtype, torch.dtype):
                raise ProtocolError(f"{_short(v)} is not a torch dtype")
            return dtype
        if kind == "device":
            if type(v) is not str or len(v) > 20:
                raise ProtocolError("a bad device")
            return torch.device(v)
        if kind == "size":
            return torch.Size(_shape(v))
        if kind == "generator":
            state = decode(data["state"], None, (), depth + 1, budget)
            if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8 or state.dim() != 1:
                raise ProtocolError("a generator state should be bytes")
            return torch.Generator().set_state(state)
        if kind == "remote":
            if session is None:
                raise ProtocolError("a handle where only data is allowed")
            return _remote(session, data)
    except GradingStop:
        raise
    except Exception as err:  # noqa: BLE001 - any malformed field is the sender's fault
        raise ProtocolError(f"malformed {kind}: {type(err).__name__}: {str(err)[:80]}") from None
    raise ProtocolError(f"unknown value kind {_short(kind)}")


def _short(value: Any) -> str:
    return repr(value)[:60]


def _shape(value: Any) -> list[int]:
    if type(value) is not list or len(value) > 32 or not all(type(n) is int and 0 <= n < 2**40 for n in value):
        raise ProtocolError("a bad shape")
    return value


def _count(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
        if n > 2**40:
            raise ProtocolError("a shape too large")
    return n


def _decode_tensor(data: dict[str, Any], session: Session | None, link: tuple[Any, ...], depth: int,
                   budget: _Budget) -> Any:
    import torch

    name = data.get("dtype")
    if name not in _TENSOR_DTYPES:
        raise ProtocolError(f"tensor dtype {_short(name)} is not allowed")
    dtype = getattr(torch, name)
    shape = _shape(data.get("shape"))
    raw = bytearray(base64.b64decode(str(data.get("data", "")), validate=True))
    itemsize = torch.empty((), dtype=dtype).element_size()
    if _count(shape) * itemsize != len(raw):
        raise ProtocolError("a tensor whose data does not match its shape")
    with torch._C.DisableTorchFunction():  # a check's torch function mode must not see the grader's own work
        tensor = (torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw else torch.empty(0, dtype=dtype)).reshape(shape)
        if data.get("device") == "cuda" and torch.cuda.is_available():
            tensor = tensor.to("cuda")
        grad = data.get("grad")
        wants_grad = data.get("requires_grad") is True and (tensor.is_floating_point() or tensor.is_complex())
        if data.get("parameter") is True and wants_grad and data.get("graph") is None:
            tensor = torch.nn.Parameter(tensor)
        elif wants_grad and data.get("graph") is None:
            tensor.requires_grad_(True)
    if wants_grad and data.get("graph") is not None:
        if session is None or type(data["graph"]) is not int:
            raise ProtocolError("a graph where only data is allowed")
        return _bridge().apply(tensor, (session, data["graph"], link), session.anchor, *link)
    if grad is not None:
        value = decode(grad, None, (), depth + 1, budget)
        if not isinstance(value, torch.Tensor) or value.shape != tensor.shape or not tensor.requires_grad:
            raise ProtocolError("a .grad that does not fit its tensor")
        tensor.grad = value.to(tensor.dtype)
    return tensor


def _bridge() -> type:
    """The autograd function that joins an answer tensor to the student's graph in the sandbox."""
    global _BRIDGE
    if _BRIDGE is None:
        import torch

        class Bridge(torch.autograd.Function):
            """An answer tensor computed in the sandbox; its backward runs there (``Session.backward``)."""

            @staticmethod
            def forward(ctx: Any, value: Any, where: tuple[Any, ...], anchor: Any, *inputs: Any) -> Any:
                ctx.where = where
                return value.clone()

            @staticmethod
            def backward(ctx: Any, grad: Any) -> Any:
                session, key, inputs = ctx.where
                return (None, None, None, *session.backward(key, grad, inputs))

        _BRIDGE = Bridge
    return _BRIDGE


_BRIDGE: type | None = None


# ---------------------------------------------------------------- the channel


class Channel:
    """One JSON object per line over a pair of pipe file descriptors, with size limits.

    ``budget`` bounds the bytes received in all (the grader's memory for one submission).
    """

    def __init__(self, read_fd: int, write_fd: int, budget: int | None = None):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.budget = budget
        self.received = 0
        self._buffer = bytearray()
        self._searched = 0  # bytes of the buffer known to hold no end of line

    def send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))

    def send_text(self, text: str) -> None:
        """Send one message already written as JSON (one line)."""
        view = memoryview(text.encode() + b"\n")
        while view:
            view = view[os.write(self.write_fd, view):]

    def receive(self, deadline: float | Callable[[], float] | None = None,
                poll: Callable[[], None] | None = None) -> dict[str, Any]:
        """The next message; ``poll()`` runs every 0.1 s while waiting (the grader's watchdog), which may move
        a ``deadline`` given as a function (the sandbox's, extended by the time it waited for a CPU)."""
        while (end := self._buffer.find(b"\n", self._searched)) < 0:
            self._searched = len(self._buffer)
            if len(self._buffer) > MAX_MESSAGE:
                raise AnswerTooLarge(f"a message longer than {MAX_MESSAGE // 2**20} MB")
            if deadline is not None and time.monotonic() > (deadline() if callable(deadline) else deadline):
                raise TimeLimit("no answer before the time limit")
            ready, _, _ = select.select([self.read_fd], [], [], 0.1)
            if poll is not None:
                poll()
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise SandboxGone("the sandbox closed the connection")
                self.received += len(chunk)
                if self.budget is not None and self.received > self.budget:
                    raise AnswerTooLarge(f"answers larger than {self.budget // 2**20} MB in all")
                self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        self._searched = 0
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as err:
            raise ProtocolError(f"not JSON: {str(err)[:80]}") from None
        if type(message) is not dict:
            raise ProtocolError("a message that is not a JSON object")
        return message


# ---------------------------------------------------------------- the sandbox's side (untrusted)


class _Server:
    """The objects the grader holds handles on, and the graphs it may send gradients back through."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.graphs: dict[int, tuple[Any, list[Any]]] = {}
        self.inputs: list[Any] = []  # the current call's tensors that require grad
        self.resolved: set[int] = set()  # objects the current call's arguments named by handle
        self.next_key = 1

    def handle(self, value: Any) -> dict[str, Any]:
        key, self.next_key = self.next_key, self.next_key + 1
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "graph":
            self.graphs[key] = (value[1], list(self.inputs))
            return {"key": key}
        self.objects[key] = value
        cls = value if isinstance(value, type) else type(value)
        mro = [_true_name(c) for c in type.__dict__["__mro__"].__get__(cls)] if isinstance(cls, type) else []
        return {"t": "remote", "key": key, "name": str(getattr(value, "__name__", type(value).__name__))[:200],
                "type": str(type(value).__name__)[:60], "callable": callable(value), "is_class": isinstance(value, type),
                "mro": mro[:30]}

    def reply(self, value: Any) -> Any:
        return encode(value, self.handle)


def _true_name(cls: type) -> str:
    """``module.qualname`` of ``cls`` when that name leads back to ``cls`` itself, else ``student.?``: a class
    can give itself any ``__module__`` and ``__qualname__`` (``torch.utils.data.Dataset``), and the grader
    claims a class for a handle only by a name that is the class (``_claim``).

    Example:
        >>> import collections
        >>> _true_name(collections.OrderedDict), _true_name(type("Dataset", (), {"__module__": "torch.utils.data"}))
        ('collections.OrderedDict', 'student.?')
    """
    module, qualname = (type.__dict__[name].__get__(cls) for name in ("__module__", "__qualname__"))  # not a metaclass's
    found: Any = sys.modules.get(module) if type(module) is str else None
    for part in qualname.split(".") if type(qualname) is str else ["?"]:
        found = vars(found).get(part) if found is not None and hasattr(found, "__dict__") else None
    return f"{module}.{qualname}" if found is cls else "student.?"


def _handle(key: int) -> Any:
    """The sandbox's object behind a ``Remote`` the grader passed back as an argument."""
    value = _SERVER.objects[key]
    _SERVER.resolved.add(id(value))
    return value


_SERVER = _Server()


def _mutables(value: Any, skip: set[int] = frozenset(), found: list[Any] | None = None, depth: int = 0) -> list[Any]:
    """The tensors and modules inside ``value`` (tuples, lists, dict values), in a fixed order, but
    not handles (``Remote`` in the grader; the objects they name, ``skip``, in the sandbox)."""
    torch = sys.modules.get("torch")  # not loaded: no tensor or module can be in ``value``

    found = [] if found is None else found
    if depth > MAX_DEPTH or isinstance(value, Remote) or id(value) in skip:
        return found
    if torch is not None and isinstance(value, (torch.Tensor, torch.nn.Module)):
        if not any(v is value for v in found):
            found.append(value)
    elif type(value) in (tuple, list):
        for v in value:
            _mutables(v, skip, found, depth + 1)
    elif type(value) is dict:
        for v in value.values():
            _mutables(v, skip, found, depth + 1)
    return found


def _versions(things: list[Any]) -> list[Any]:
    torch = sys.modules.get("torch")

    def version(t: Any) -> int:
        return t._version

    return [version(t) if isinstance(t, torch.Tensor) else
            tuple(version(p) for p in [*t.parameters(), *t.buffers()]) for t in things]


def _changed(things: list[Any], before: list[Any], server: _Server) -> list[Any]:
    torch = sys.modules.get("torch")
    out = []
    for thing, was in zip(things, _versions(things)):
        if was == before[len(out)]:
            out.append(None)
        elif isinstance(thing, torch.Tensor):
            out.append(encode(thing.detach()))
        else:
            out.append(encode({k: v.detach() for k, v in thing.state_dict().items()}))
    return out


def serve(channel: Channel, user_ns: dict[str, Any]) -> None:
    """Answer the grader's requests until it says ``continue``.

    Requests carry an ``id`` that the answer repeats: ``lookup`` a notebook name, ``call`` a
    handle (arguments pickled by the grader), ``getattr``/``setattr``, ``builtin`` (``len``,
    ``getitem``, ``iter``, ``next``, ``contains``), ``backward`` through a graph.
    """
    import cloudpickle

    server = _SERVER
    while True:
        request = channel.receive()
        op, rid = request.get("op"), request.get("id")
        if op == "continue":
            server.objects.clear()
            server.graphs.clear()
            return
        try:
            if op == "lookup":
                name = request["name"]
                response = {"value": server.reply(user_ns[name])} if name in user_ns else {"missing": True}
            elif op == "call":
                server.resolved.clear()
                args, kwargs = cloudpickle.loads(base64.b64decode(request["args"]))
                things = _mutables((args, kwargs), server.resolved)
                before = _versions(things)
                server.inputs = [t for t in things if _is_tensor(t) and t.requires_grad]
                try:
                    result = server.objects[request["remote"]](*args, **kwargs)
                    response = {"value": server.reply(result)}
                finally:
                    server.inputs = []
                response["after"] = _changed(things, before, server)
            elif op == "getattr":
                response = {"value": server.reply(getattr(server.objects[request["remote"]], request["name"]))}
            elif op == "setattr":
                value = cloudpickle.loads(base64.b64decode(request["value"]))
                setattr(server.objects[request["remote"]], request["name"], value)
                response = {"value": None}
            elif op == "builtin":
                target, name = server.objects[request["remote"]], request["name"]
                args = cloudpickle.loads(base64.b64decode(request["args"])) if request.get("args") else ()
                if name == "next":
                    try:
                        response = {"value": server.reply(next(target))}
                    except StopIteration:
                        response = {"stop": True}
                else:
                    call = {"len": len, "getitem": lambda t, k: t[k], "iter": iter, "contains": lambda t, k: k in t}[name]
                    response = {"value": server.reply(call(target, *args))}
            elif op == "backward":
                import torch

                out, inputs = server.graphs[request["graph"]]
                grad = decode(request["grad"]).to(out.device)
                for t in inputs:
                    t.grad = None
                torch.autograd.backward([out], [grad], retain_graph=True)
                response = {"value": encode([None if t.grad is None else t.grad.detach() for t in inputs])}
                for t in inputs:
                    t.grad = None
            else:
                response = {"error": {"type": "ValueError", "message": f"unknown request {op!r}"}}
        except BaseException as err:  # noqa: BLE001 - the student's exception is the answer
            response = _error(err)
        response["id"] = rid
        try:
            data = json.dumps(response, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as err:
            response = {"id": rid, **_error(err)}
            data = json.dumps(response)
        if len(data) > MAX_MESSAGE:
            response = {"id": rid, **_error(MemoryError(f"the answer is larger than {MAX_MESSAGE // 2**20} MB"))}
            data = json.dumps(response)
        channel.send_text(data)


def _error(err: BaseException) -> dict[str, Any]:
    return {"error": {"type": type(err).__name__, "message": str(err)[:2000]}}


class _Sink(io.TextIOBase):
    """Where the cells' printed output goes: counted, then thrown away."""

    def __init__(self, on_write: Callable[[int], None]):
        self.on_write = on_write

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.on_write(len(text))
        return len(text)

    def isatty(self) -> bool:
        return False


OUTPUT_LIMIT = 20 * 2**20  # characters the cells may print in all


def run(cells_file: str, limits_json: str, read_fd: int, write_fd: int) -> int:
    """Run the submission's code cells, serving the grader at each check cell (inside the sandbox).

    ``cells_file`` holds ``{"cells": [[index, source], ...], "checks": [index, ...]}``, written
    by the grader. Events: ``started``, ``cell`` (before each code cell; at a check cell the
    answer server follows), ``error`` (a cell raised: its exception's name), ``stopped``
    (output limit) and ``end``.
    """
    from course_tools.sandbox import Limits, apply_limits

    apply_limits(Limits.from_json(limits_json))
    for fd in (read_fd, write_fd):  # the student's child processes do not inherit the grader's pipes
        os.set_inheritable(fd, False)
    channel = Channel(read_fd, write_fd)
    with open(cells_file, encoding="utf-8") as f:
        spec = json.load(f)
    checks = set(spec["checks"])
    printed = [0]

    def count(n: int) -> None:
        printed[0] += n
        if printed[0] > OUTPUT_LIMIT:
            channel.send({"event": "stopped", "reason": "output limit"})
            os._exit(0)

    sys.stdout = sys.stderr = _Sink(count)
    shell = _shell()
    channel.send({"event": "started"})
    for index, source in spec["cells"]:
        channel.send({"event": "cell", "cell": index})
        if index in checks:
            serve(channel, shell.user_ns)
        result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            channel.send({"event": "error", "cell": index, "name": type(error).__name__[:80],
                          "text": str(error)[:200]})
    channel.send({"event": "end"})
    return 0


def _shell() -> Any:
    """An IPython shell as a notebook's kernel has one, minus the kernel (no GUI, no history file)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class GradingShell(InteractiveShell):
        def enable_gui(self, gui: str | None = None) -> None:  # %matplotlib inline: no event loop to start
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    return GradingShell.instance(config=config)


# ---------------------------------------------------------------- the grader's side (pristine)


class StudentError(Exception):
    """An exception the student's code raised in the sandbox, named like the original."""


_BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, OSError)}
_ERROR_TYPES: dict[str, type] = {}


def _raise(error: Any) -> None:
    if type(error) is not dict:
        raise ProtocolError("a malformed error")
    name, message = str(error.get("type", ""))[:80], str(error.get("message", ""))[:2000]
    if name in _BUILTIN_ERRORS:
        raise _BUILTIN_ERRORS[name](message)
    if not name.isidentifier():
        name = "StudentError"
    cls = _ERROR_TYPES.setdefault(name, type(name, (StudentError,), {}))
    raise cls(message)


class Session:
    """The grader's end of one submission's checks: asks the sandbox, decodes its answers.

    ``sources`` are the submitted code cells before the check, as they are in the file (never
    as the sandbox reports them): what ``course_utils.code_reading`` reads for rules on how.
    """

    def __init__(self, channel: Channel, deadline: Callable[[], float], poll: Callable[[], None] | None = None,
                 sources: list[str] | None = None):
        import torch

        self.channel, self.deadline, self.poll = channel, deadline, poll
        self.sources = list(sources or [])
        self.next_id = 0
        self.anchor = torch.zeros((), requires_grad=True)  # makes every bridged answer differentiable

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        request = {**request, "id": self.next_id}
        self.channel.send(request)
        response = self.channel.receive(self.deadline, self.poll)
        if response.get("id") != self.next_id:
            raise ProtocolError(f"an answer to no question: {_short(response)}")
        kinds = [k for k in ("value", "error", "missing", "stop") if k in response]
        if len(kinds) != 1:
            raise ProtocolError(f"an answer of unknown form: {_short(response)}")
        if "error" in response:
            _raise(response["error"])
        return response

    def value(self, request: dict[str, Any]) -> Any:
        response = self.ask(request)
        if response.get("missing") is True:
            raise NameError(f"name {request.get('name')!r} is not defined")
        if "stop" in response:
            raise ProtocolError("an iterator's end where a value was asked")
        return decode(response["value"], self)

    def call(self, key: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        import cloudpickle

        payload = _b64(cloudpickle.dumps((args, kwargs)))
        things = _mutables((args, kwargs))
        inputs = tuple(t for t in things if _is_tensor(t) and t.requires_grad)
        response = self.ask({"op": "call", "remote": key, "args": payload})
        if "value" not in response:
            raise ProtocolError("a call answered without a value")
        value = decode(response["value"], self, inputs)
        self._write_back(things, response.get("after"))
        return value

    def _write_back(self, things: list[Any], after: Any) -> None:
        """Give the grader's arguments the values the call left them with (in-place changes)."""
        import torch

        if after is None:
            return
        if type(after) is not list or len(after) != len(things):
            raise ProtocolError("the arguments' new values do not match the arguments")
        for thing, new in zip(things, after):
            if new is None:
                continue
            value = decode(new)
            with torch.no_grad(), torch._C.DisableTorchFunction():
                if isinstance(thing, torch.Tensor):
                    if not isinstance(value, torch.Tensor) or value.shape != thing.shape:
                        raise ProtocolError("an argument's new value of another shape")
                    thing.copy_(value.to(thing.dtype))
                else:
                    if type(value) is not dict or not all(isinstance(v, torch.Tensor) for v in value.values()):
                        raise ProtocolError("a module's new state that is not tensors")
                    own = thing.state_dict()
                    for name, tensor in value.items():
                        if name in own and own[name].shape == tensor.shape:
                            own[name].copy_(tensor.to(own[name].dtype))

    def backward(self, key: int, grad: Any, inputs: tuple[Any, ...]) -> list[Any]:
        """Gradients, for ``inputs``, of the sandbox's graph ``key`` given the gradient of its output."""
        import torch

        response = self.ask({"op": "backward", "graph": key, "grad": encode(grad.detach().to("cpu"))})
        grads = decode(response.get("value"))
        if type(grads) is not list or len(grads) != len(inputs):
            raise ProtocolError("gradients that do not match the inputs")
        out = []
        for g, inp in zip(grads, inputs):
            if g is not None and (not isinstance(g, torch.Tensor) or g.shape != inp.shape):
                raise ProtocolError("a gradient of the wrong shape")
            out.append(None if g is None else g.to(inp.dtype).to(inp.device))
        return out


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _claim(mro: Any) -> type | None:
    """The class a handle may say it is an instance of: the first one of its (claimed) classes that
    lives in ``torch``, ``numpy`` or ``course_utils``, is already imported here, and is not a tensor
    or an array (those come as data). Never imported, never inherited, never instantiated."""
    import numpy as np
    import torch

    for qualified in mro if type(mro) is list else []:
        module, _, name = str(qualified).rpartition(".")
        if module.split(".")[0] not in _CLAIMABLE or module not in sys.modules or not name.isidentifier():
            continue
        cls = vars(sys.modules[module]).get(name)
        if isinstance(cls, type) and not issubclass(cls, (torch.Tensor, np.ndarray, np.generic, BaseException)):
            return cls
    return None


class Remote:
    """A function, class or object that lives in the student's sandbox; calls and attributes go there.

    ``isinstance(handle, cls)`` holds for the class it claims (``_claim``); a handle on a class
    passes ``isinstance(handle, type)`` and ``issubclass(handle, cls)`` for the class its class
    claims to derive from. ``type(handle)`` is always a ``Remote``. ``course_utils.checks``
    recognises it by ``__course_remote__``.
    """

    __course_remote__ = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._session.value({"op": "getattr", "remote": self._key, "name": name})

    def __setattr__(self, name: str, value: Any) -> None:
        import cloudpickle

        self._session.value({"op": "setattr", "remote": self._key, "name": name,
                             "value": _b64(cloudpickle.dumps(value))})

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance() consults it
        return object.__getattribute__(self, "_claimed") or Remote

    def _builtin(self, name: str, *args: Any) -> Any:
        import cloudpickle

        request = {"op": "builtin", "remote": self._key, "name": name}
        if args:
            request["args"] = _b64(cloudpickle.dumps(args))
        response = self._session.ask(request)
        if "stop" in response:
            raise StopIteration
        if "value" not in response:
            raise ProtocolError("an answer without a value")
        return decode(response["value"], self._session)

    def __len__(self) -> int:
        n = self._builtin("len")
        if type(n) is not int or n < 0:
            raise TypeError(f"__len__ returned {type(n).__name__}, not a non-negative int")
        return n

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        return self._builtin("getitem", key)

    def __contains__(self, key: Any) -> bool:
        return bool(self._builtin("contains", key) is True)

    def __iter__(self) -> Iterator[Any]:
        iterator = self._builtin("iter")
        while True:
            if not isinstance(iterator, Remote):
                yield from iterator
                return
            try:
                yield iterator._builtin("next")
            except StopIteration:
                return

    def __reduce__(self) -> tuple[Any, ...]:  # passed back as an argument: the sandbox's own object
        return (_handle, (self._key,))

    def __repr__(self) -> str:
        return f"<{self._meta.get('name')} in the student's notebook>"

    def __course_source__(self) -> tuple[str, list[str]]:
        """The name the check asked for and the submitted cells before the check: what
        ``course_utils.code_reading`` reads for rules on how an answer computes."""
        return object.__getattribute__(self, "_name"), list(self._session.sources)


class _CallableRemote(Remote):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._key, args, kwargs)


_CLASSES: dict[tuple[str, bool], type] = {}


def _proxy_class(type_name: Any, is_callable: bool) -> type:
    """A subclass of ``Remote`` that only borrows the name of the student's type, so that a check's
    message says "it is a DataSource", not "it is a Remote"; it holds no code of the student's."""
    name = type_name if type(type_name) is str and type_name.isidentifier() and len(type_name) <= 60 else "object"
    if (name, is_callable) not in _CLASSES:
        base = _CallableRemote if is_callable else Remote
        _CLASSES[(name, is_callable)] = type(name, (base,), {"__module__": "student", "__qualname__": name})
    return _CLASSES[(name, is_callable)]


def _remote(session: Session, meta: dict[str, Any], name: str = "") -> Remote:
    """A proxy for the sandbox object ``meta`` describes (see ``_Server.handle``)."""
    if type(meta.get("key")) is not int or type(meta.get("mro", [])) is not list:
        raise ProtocolError("a malformed handle")
    proxy = object.__new__(_proxy_class(meta.get("type"), meta.get("callable") is True))
    mro = meta.get("mro", [])[:30]
    if meta.get("is_class") is True:  # a class: isinstance(handle, type) holds, issubclass() reads __bases__
        object.__setattr__(proxy, "__bases__", (_claim(mro[1:]) or object,))
        claimed: type | None = type
    else:
        claimed = _claim(mro)
    for attribute, value in (("_session", session), ("_key", meta["key"]), ("_meta", meta), ("_claimed", claimed),
                             ("_name", name), ("__name__", str(meta.get("name", "?"))[:200])):
        object.__setattr__(proxy, attribute, value)
    return proxy


class Namespace(dict):
    """The names a check cell sees in the grader: its own, the teacher notebook's imports,
    builtins, then (only then) the student's notebook in the sandbox."""

    def __init__(self, session: Session, imports: dict[str, tuple[str, str | None]], own: dict[str, Any] | None = None):
        super().__init__(own or {})
        self.session, self.imports = session, imports
        self.fetched: set[str] = set()
        self.printed = io.StringIO()  # what the check cell printed here (``run_check``)

    def own(self) -> dict[str, Any]:
        """What the check cells defined themselves, carried to the next check (the notebook's names are asked again)."""
        return {k: v for k, v in self.items() if k not in self.fetched}

    def __missing__(self, name: str) -> Any:
        if name in self.imports:
            module, attribute = self.imports[name]
            value = importlib.import_module(module)
            if attribute is not None and hasattr(value, attribute):
                value = getattr(value, attribute)
            elif attribute is not None:
                try:
                    value = importlib.import_module(f"{module}.{attribute}")
                except ImportError:
                    raise ImportError(f"cannot import name {attribute!r} from {module!r}") from None
        elif hasattr(builtins, name):
            return getattr(builtins, name)
        else:
            response = self.session.ask({"op": "lookup", "name": name})
            if response.get("missing") is True:
                raise NameError(f"name {name!r} is not defined")
            if "value" not in response:
                raise ProtocolError("a name answered without a value")
            value = response["value"]
            if type(value) is dict and value.get("t") == "remote":
                value = _remote(self.session, value, name)
            else:
                value = decode(value, self.session)
            self.fetched.add(name)
        self[name] = value
        return value


def _python(source: str) -> str:
    """A cell's source as plain Python (IPython's magics and ``!`` commands as the calls they are)."""
    from course_utils.code_reading import as_python

    return as_python(source)


def check_statements(source: str) -> str:
    """The statements of a teacher's check cell the grader runs: up to the last call of a
    ``check_*`` function (what follows, such as building a DataLoader for the next section, is the
    notebook's business, run in the sandbox only).

    Example:
        >>> check_statements("from m import check_x\\ncheck_x(f)\\nloader = make(f)")
        'from m import check_x\\ncheck_x(f)'
    """
    code = _python(source)
    tree = ast.parse(code)
    last = -1
    for i, node in enumerate(tree.body):
        if any(isinstance(n, ast.Call) and _called_name(n.func).startswith("check_") for n in ast.walk(node)):
            last = i
    body = tree.body[:last + 1] if last >= 0 else tree.body
    return "\n".join(ast.get_source_segment(code, node) or ast.unparse(node) for node in body)


def _called_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def run_check(source: str, namespace: Namespace) -> tuple[str, str]:
    """Run the teacher's check cell ``source`` here, in the grader; its state and why.

    ``pass`` when its check statements (``check_statements``) raised nothing and printed ✅
    (printed here, by the course's code), ``fail`` on ``CheckFailed``, ``error`` on another
    exception. A ``GradingStop`` (time limit, sandbox gone, malformed answer) goes through.
    """
    from contextlib import redirect_stdout

    from course_utils.checks import CheckFailed

    printed = io.StringIO()
    namespace.printed = printed  # what the course's code printed: the points of a check that gives items
    try:
        code = compile(check_statements(source), "<check cell>", "exec")
        with redirect_stdout(printed):
            exec(code, {"__builtins__": builtins}, namespace)  # noqa: S102 - the teacher's own cell
    except CheckFailed as err:
        return "fail", " ".join(str(err).split())[:500] or "the check failed"
    except RecursionError:
        return "error", "RecursionError: the answer is nested too deeply"
    except Exception as err:  # noqa: BLE001 - reported for the teacher
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return "error", f"{type(err).__name__}: {message}"[:500]
    if "✅" in printed.getvalue():
        return "pass", ""
    return "fail", "the check printed no ✅"


def notebook_imports(cells_source: list[str]) -> dict[str, tuple[str, str | None]]:
    """Names the teacher notebook binds with ``import`` statements: name -> (module, attribute).

    Example:
        >>> notebook_imports(["import torch\\nfrom torch import nn as N\\nimport numpy.linalg"])
        {'torch': ('torch', None), 'N': ('torch', 'nn'), 'numpy': ('numpy', None)}
    """
    found: dict[str, tuple[str, str | None]] = {}
    for source in cells_source:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        found[top] = (top, None)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = (node.module, alias.name)
    return found


if __name__ == "__main__":  # run from the module itself, not from __main__: handles unpickle into its _SERVER
    sys.exit(importlib.import_module("course_tools.answers").run(sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                                   int(sys.argv[4])))
