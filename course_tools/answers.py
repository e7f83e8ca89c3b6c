"""The student's answers as data: how grading asks a sandboxed kernel for them without trusting it.

Grading never runs check code where student code runs. Inside the sandbox a *driver* runs the
submission cell by cell in a kernel; when it reaches a check cell it hands the kernel a small
*answer server*. Outside, the grader runs the teacher's check cell itself, from pristine source,
in its own process; every name the cell needs from the notebook (``double``, ``device``) is
fetched from the kernel: data (numbers, strings, tensors, arrays) as values, functions and
classes as ``Remote`` proxies whose calls travel to the kernel and whose results travel back.

What comes back is decoded by ``decode`` alone: JSON, with tensors and arrays as raw bytes of a
whitelisted dtype. Nothing is unpickled on the grader's side, so the worst a hostile kernel can
do is answer wrongly, which a check catches, or not answer, which the time limit catches.
Messages are one JSON object per line, at most ``MAX_MESSAGE`` bytes.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import inspect
import io
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import cloudpickle

__all__ = [
    "Channel", "Namespace", "ProtocolError", "Remote", "SandboxGone", "Session", "StudentError", "decode",
    "drive", "encode", "notebook_imports", "remote", "run_check", "serve",
]

MAX_MESSAGE = 64 * 2**20
_TENSOR_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                  "uint8", "bool", "complex64", "complex128")
_ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex: never object arrays


class ProtocolError(Exception):
    """The sandbox sent something that is not a well-formed answer (tampering or a crash)."""


class SandboxGone(Exception):
    """The sandbox stopped answering: it exited, crashed or was stopped by a limit."""


# ---------------------------------------------------------------- values as data


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data, or raise ``TypeError`` when it is not plain data.

    Example:
        >>> encode((1, "a", None))
        {'t': 'tuple', 'v': [1, 'a', None]}
    """
    import numpy as np
    import torch

    if depth > 20:
        raise TypeError("nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) in (int, float):
        return value if not isinstance(value, float) or value == value and abs(value) != float("inf") \
            else {"t": "float", "v": repr(value)}
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        return {"t": type(value).__name__, "v": [encode(v, depth + 1) for v in value]}
    if type(value) is dict:
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, torch.Tensor) and type(value) in (torch.Tensor, torch.nn.Parameter):
        name = str(value.dtype).removeprefix("torch.")
        if name not in _TENSOR_DTYPES or value.is_sparse:
            raise TypeError(f"tensor of dtype {value.dtype}")
        data = value.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        return {"t": "tensor", "dtype": name, "shape": list(value.shape), "device": value.device.type,
                "grad": value.requires_grad, "data": base64.b64encode(data).decode()}
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"array of dtype {value.dtype}")
        return {"t": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                "data": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return {"t": "npscalar", "dtype": value.dtype.str, "data": base64.b64encode(value.tobytes()).decode()}
    if isinstance(value, torch.dtype):
        return {"t": "dtype", "v": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"t": "device", "v": str(value)}
    if isinstance(value, torch.Size):
        return {"t": "size", "v": [int(v) for v in value]}
    if type(value) is torch.Generator and value.device.type == "cpu":
        return {"t": "generator", "state": encode(value.get_state(), depth + 1)}
    raise TypeError(f"{type(value).__name__} is not plain data")


def decode(data: Any, depth: int = 0) -> Any:
    """The value ``encode`` described, checked field by field; ``ProtocolError`` if malformed.

    Example:
        >>> decode({'t': 'tuple', 'v': [1, 'a', None]})
        (1, 'a', None)
    """
    import numpy as np
    import torch

    if depth > 20:
        raise ProtocolError("answer nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise ProtocolError(f"not an encoded value: {str(data)[:80]}")
    kind, v = data["t"], data.get("v")
    try:
        if kind in ("tuple", "list"):
            items = [decode(x, depth + 1) for x in v]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {decode(k, depth + 1): decode(x, depth + 1) for k, x in v}
        if kind == "float":
            if v not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"bad float {v!r}")
            return float(v)
        if kind == "tensor":
            if data["dtype"] not in _TENSOR_DTYPES:
                raise ProtocolError(f"tensor dtype {data['dtype']!r} is not allowed")
            dtype = getattr(torch, data["dtype"])
            raw = bytearray(base64.b64decode(data["data"], validate=True))
            shape = [int(n) for n in data["shape"]]
            flat = torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw else torch.empty(0, dtype=dtype)
            tensor = flat.reshape(shape).clone()
            if data.get("device") == "cuda" and torch.cuda.is_available():
                tensor = tensor.to("cuda")
            return tensor.requires_grad_(True) if data.get("grad") is True and tensor.is_floating_point() else tensor
        if kind in ("ndarray", "npscalar"):
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in _ARRAY_KINDS:
                raise ProtocolError(f"array dtype {dtype} is not allowed")
            raw = base64.b64decode(data["data"], validate=True)
            if kind == "npscalar":
                return np.frombuffer(raw, dtype=dtype)[0]
            return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in data["shape"]]).copy()
        if kind == "dtype":
            dtype = getattr(torch, str(v), None)
            if not isinstance(dtype, torch.dtype):
                raise ProtocolError(f"{v!r} is not a torch dtype")
            return dtype
        if kind == "device":
            return torch.device(str(v))
        if kind == "size":
            return torch.Size([int(n) for n in v])
        if kind == "generator":
            generator = torch.Generator()
            state = decode(data["state"], depth + 1)
            if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
                raise ProtocolError("a generator state should be bytes")
            return generator.set_state(state)
    except ProtocolError:
        raise
    except Exception as err:  # noqa: BLE001 - any malformed field is the sender's fault
        raise ProtocolError(f"malformed {kind}: {type(err).__name__}: {err}") from None
    raise ProtocolError(f"unknown value kind {kind!r}")


# ---------------------------------------------------------------- the channel


class Channel:
    """One JSON object per line over a pair of pipe file descriptors, with a size limit."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(self.write_fd, view):]

    def receive(self, deadline: float | None = None, poll: Callable[[], None] | None = None) -> dict[str, Any]:
        """The next message; ``poll()`` runs every 0.1 s while waiting (the grader's watchdog)."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_MESSAGE:
                raise ProtocolError(f"a message longer than {MAX_MESSAGE // 2**20} MB")
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("no answer before the time limit")
            ready, _, _ = select.select([self.read_fd], [], [], 0.1)
            if poll is not None:
                poll()
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise SandboxGone("the sandbox closed the connection")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as err:
            raise ProtocolError(f"not JSON: {str(err)[:80]}") from None
        if not isinstance(message, dict):
            raise ProtocolError("a message that is not a JSON object")
        return message


# ---------------------------------------------------------------- the kernel's side (untrusted)

_objects: dict[int, Any] = {}


def _handle(key: int) -> Any:
    """The kernel-side object behind a ``Remote`` the grader passed back as an argument."""
    return _objects[key]


def _reply(value: Any) -> dict[str, Any]:
    try:
        return {"value": encode(value)}
    except TypeError:
        pass
    key = id(value)
    _objects[key] = value
    cls = value if isinstance(value, type) else type(value)
    mro = [f"{c.__module__}.{c.__qualname__}" for c in getattr(cls, "__mro__", ())]
    return {"remote": key, "name": str(getattr(value, "__name__", type(value).__name__)),
            "callable": callable(value), "is_class": isinstance(value, type), "mro": mro}


MAX_JACOBIAN = 2**16  # output elements x input elements carried back for gradients


def _tensors(value: Any) -> list[Any]:
    """The tensors inside ``value`` (tuples, lists, dict values), in a fixed order."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _jacobians(result: Any, inputs: list[Any]) -> list[list[Any]]:
    """For each tensor of ``result`` with a graph back to ``inputs``: d output / d input, encoded.

    Lets the grader's checks call ``backward()`` on an answer computed in the kernel (the
    gradient of each answer tensor is carried back, to first order)."""
    import torch

    found = []
    for out in _tensors(result):
        if not inputs or out.grad_fn is None or out.numel() * sum(i.numel() for i in inputs) > MAX_JACOBIAN:
            found.append(None)
            continue
        rows = [torch.autograd.grad(o, inputs, retain_graph=True, allow_unused=True) for o in out.reshape(-1)]
        found.append([None if rows[0][j] is None else encode(torch.stack([r[j] if r[j] is not None else
                      torch.zeros_like(inputs[j]) for r in rows]).detach()) for j in range(len(inputs))])
    return found


def _error(err: BaseException) -> dict[str, Any]:
    return {"error": type(err).__name__, "message": str(err)[:2000]}


def serve(read_fd: int = 3, write_fd: int = 4) -> None:
    """Answer the grader's requests in the student's kernel until it says ``continue``.

    Requests: ``lookup`` a notebook name, ``call`` a remote object (arguments pickled by the
    grader), ``getattr``, and ``source`` (the text of a function or class, for rules on code).
    """
    from IPython import get_ipython

    user_ns = get_ipython().user_ns
    channel = Channel(read_fd, write_fd)
    channel.send({"event": "serving"})
    while True:
        request = channel.receive()
        op = request.get("op")
        if op == "continue":
            return
        try:
            if op == "lookup":
                name = request["name"]
                response = _reply(user_ns[name]) if name in user_ns else {"missing": True}
            elif op == "call":
                args, kwargs = cloudpickle.loads(base64.b64decode(request["args"]))
                result = _objects[request["remote"]](*args, **kwargs)
                response = _reply(result)
                if "value" in response:
                    response["jacobians"] = _jacobians(result, [t for t in _tensors((args, kwargs)) if t.requires_grad])
            elif op == "getattr":
                response = _reply(getattr(_objects[request["remote"]], request["name"]))
            elif op == "source":
                response = {"value": inspect.getsource(_objects[request["remote"]])}
            else:
                response = {"error": "ProtocolError", "message": f"unknown request {op!r}"}
        except BaseException as err:  # noqa: BLE001 - the student's exception is the answer
            response = _error(err)
        try:
            channel.send(response)
        except (TypeError, ValueError) as err:  # e.g. an exception message that is not JSON-able
            channel.send(_error(err))


# ---------------------------------------------------------------- the grader's side (pristine)


class StudentError(Exception):
    """An exception the student's code raised in the sandbox, named like the original."""


_BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, Exception)}
_ERROR_TYPES: dict[str, type] = {}


def _raise(response: dict[str, Any]) -> None:
    name, message = str(response.get("error")), str(response.get("message", ""))
    if name in _BUILTIN_ERRORS:
        raise _BUILTIN_ERRORS[name](message)
    if not name.isidentifier():
        name = "StudentError"
    cls = _ERROR_TYPES.setdefault(name, type(name, (StudentError,), {}))
    raise cls(message)


def _watching(args: Any, kwargs: Any) -> bool:
    """Does the check watch *how* the student's function computes (not only what it returns)?

    True when it hands the function a function of its own (a hook, a wrapped ``f``) or calls it
    under a torch function mode or with a function of torch replaced (a recorder): what happens
    inside the call happens in the kernel, out of the grader's sight."""
    import torch

    if any(callable(a) and not isinstance(a, (type, Remote)) for a in (*args, *kwargs.values())):
        return True
    if torch.overrides._get_current_function_mode_stack():
        return True
    return any(len(vars(owner)) != len(before) or any(before.get(k) is not v for k, v in vars(owner).items())
               for owner, before in _ORIGINALS)


def _originals() -> list[tuple[Any, dict[str, Any]]]:
    """What torch's classes and modules hold before any check runs: a check that records calls
    (``course_utils.checks.recording_calls``) replaces some of them while it calls the student."""
    import numpy as np
    import torch

    owners = [torch, torch.linalg, torch.Tensor, torch.autograd, torch.nn.Module, torch.nn.Linear,
              torch.nn.functional, torch.utils.data.DataLoader, torch.utils.data.Dataset, torch.optim.Optimizer,
              *vars(torch.optim).values(), np, np.linalg]
    return [(owner, dict(vars(owner))) for owner in dict.fromkeys(o for o in owners if isinstance(o, type) or
                                                                    type(o) is type(torch))]


class Session:
    """The grader's end of a check: asks the answer server in the kernel and decodes its answers.

    ``watched`` turns True when a check watched how the student's function computes (see
    ``_watching``): the grade then also needs the kernel's own run of that check cell.
    """

    def __init__(self, channel: Channel, deadline: float, poll: Callable[[], None] | None = None):
        self.channel, self.deadline, self.poll = channel, deadline, poll
        self.watched = False
        if not _ORIGINALS:
            _ORIGINALS.extend(_originals())

    def ask(self, request: dict[str, Any], inputs: list[Any] | None = None) -> Any:
        self.channel.send(request)
        response = self.channel.receive(self.deadline, self.poll)
        if "error" in response:
            _raise(response)
        if "remote" in response:
            return remote(self, response)
        if "value" in response:
            value = decode(response["value"])
            return _with_gradients(value, response.get("jacobians"), inputs) if inputs else value
        if response.get("missing") is True:
            raise NameError(f"name {request.get('name')!r} is not defined")
        raise ProtocolError(f"an answer of unknown form: {str(response)[:80]}")


def _bridge_class() -> type:
    import torch

    class Bridge(torch.autograd.Function):
        """An answer tensor computed in the kernel, joined to the grader's inputs by its Jacobians."""

        @staticmethod
        def forward(ctx: Any, value: Any, jacobians: list[Any], *inputs: Any) -> Any:
            ctx.jacobians, ctx.shapes = jacobians, [i.shape for i in inputs]
            return value.detach().clone()

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            flat = grad.reshape(1, -1)
            return (None, None, *(None if j is None else (flat @ j.reshape(flat.shape[1], -1).to(grad.dtype)).reshape(shape)
                                  for j, shape in zip(ctx.jacobians, ctx.shapes)))

    return Bridge


def _with_gradients(value: Any, jacobians: Any, inputs: list[Any]) -> Any:
    """``value`` with each tensor that had a graph in the kernel given the same gradients here."""
    import torch

    outputs = _tensors(value)
    if not isinstance(jacobians, list) or len(jacobians) != len(outputs):
        return value
    bridged = {}
    for out, rows in zip(outputs, jacobians):
        if not isinstance(rows, list) or len(rows) != len(inputs):
            continue
        jac = [None if r is None else decode(r) for r in rows]
        for j, inp in zip(jac, inputs):
            if j is not None and (not isinstance(j, torch.Tensor) or j.numel() != out.numel() * inp.numel()):
                raise ProtocolError("a gradient of the wrong size")
        bridged[id(out)] = _bridge_class().apply(out, jac, *inputs)

    def rebuild(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return bridged.get(id(v), v)
        if isinstance(v, (tuple, list)):
            return type(v)(rebuild(x) for x in v)
        if isinstance(v, dict):
            return {k: rebuild(x) for k, x in v.items()}
        return v

    return rebuild(value)


class Remote:
    """A function, class or object that lives in the student's kernel; calls go there."""

    _session: Session
    _key: int
    _meta: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._session.ask({"op": "getattr", "remote": self._key, "name": name})

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        if _watching(args, kwargs):
            self._session.watched = True
        payload = base64.b64encode(cloudpickle.dumps((args, kwargs))).decode()
        inputs = [t for t in _tensors((args, kwargs)) if t.requires_grad]
        return self._session.ask({"op": "call", "remote": self._key, "args": payload}, inputs)

    def _method(self, name: str, *args: Any) -> Any:
        bound = self._session.ask({"op": "getattr", "remote": self._key, "name": name})
        return bound._call(*args) if isinstance(bound, Remote) else bound(*args)

    def __len__(self) -> int:
        n = self._method("__len__")
        if not isinstance(n, int):
            raise TypeError(f"__len__ returned {type(n).__name__}, not an int")
        return n

    def __getitem__(self, key: Any) -> Any:
        return self._method("__getitem__", key)

    def __iter__(self) -> Iterator[Any]:
        iterator = self._method("__iter__")
        while True:
            try:
                yield iterator._method("__next__") if isinstance(iterator, Remote) else next(iterator)
            except StopIteration:
                return

    def __reduce__(self) -> tuple[Any, ...]:  # passed back as an argument: the kernel's own object
        return (_handle, (self._key,))

    def __repr__(self) -> str:
        return f"<{self._meta.get('name')} in the student's kernel>"

    def source(self) -> str:
        """The source of this function or class, as the kernel's ``inspect.getsource`` finds it."""
        text = self._session.ask({"op": "source", "remote": self._key})
        if not isinstance(text, str):
            raise ProtocolError("the source of a function should be text")
        return text


class _CallableRemote(Remote):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)


_CLASSES: dict[tuple[Any, ...], type] = {}
_ORIGINALS: list[tuple[Any, dict[str, Any]]] = []  # see _originals


def _pristine_bases(mro: list[str]) -> tuple[type, ...]:
    """Classes of modules the grader has already imported that the remote object derives from,
    so ``isinstance(answer, Dataset)`` holds; never imports what the student names."""
    bases: list[type] = []
    for qualified in mro:
        module, _, name = str(qualified).rpartition(".")
        if module in ("builtins", "") or module not in sys.modules or "." in name:
            continue
        cls = getattr(sys.modules[module], name, None)
        if isinstance(cls, type) and not any(issubclass(b, cls) for b in bases):
            bases.append(cls)
    return tuple(bases)


def remote(session: Session, meta: dict[str, Any]) -> Remote:
    """A proxy for the kernel object ``meta`` describes (see ``_reply``)."""
    if not isinstance(meta.get("remote"), int) or not isinstance(meta.get("mro", []), list):
        raise ProtocolError("a malformed remote object")
    base: type = _CallableRemote if meta.get("callable") else Remote
    extra = () if meta.get("is_class") else _pristine_bases(meta.get("mro", [])[:30])
    key = (base, extra)
    if key not in _CLASSES:
        try:
            _CLASSES[key] = type("Remote", (base, *extra), {"__init__": lambda self, *a, **k: None})
        except TypeError:  # bases that cannot be combined: a plain proxy
            _CLASSES[key] = base
    proxy = _CLASSES[key].__new__(_CLASSES[key])
    for name, value in (("_session", session), ("_key", meta["remote"]), ("_meta", meta),
                        ("__name__", str(meta.get("name", "?"))[:200])):
        object.__setattr__(proxy, name, value)
    return proxy


class Namespace(dict):
    """The names a check cell sees in the grader: its own, the teacher notebook's imports,
    builtins, then (only then) the student's kernel."""

    def __init__(self, session: Session, imports: dict[str, tuple[str, str | None]], own: dict[str, Any] | None = None):
        super().__init__(own or {})
        self.session, self.imports = session, imports
        self.fetched: set[str] = set()

    def own(self) -> dict[str, Any]:
        """What the check cells defined themselves, carried to the next check (the kernel's names are asked again)."""
        return {k: v for k, v in self.items() if k not in self.fetched}

    def __missing__(self, name: str) -> Any:
        if name in self.imports:
            module, attribute = self.imports[name]
            value = importlib.import_module(module)
            if attribute is not None:
                value = getattr(value, attribute, None) or importlib.import_module(f"{module}.{attribute}")
        elif hasattr(builtins, name):
            return getattr(builtins, name)
        else:
            value = self.session.ask({"op": "lookup", "name": name})
            self.fetched.add(name)
        self[name] = value
        return value


def run_check(source: str, namespace: Namespace) -> tuple[str, str]:
    """Run the teacher's check cell ``source`` here, in the grader; its state and why.

    ``pass`` when it raised nothing and printed ✅ (printed by the pristine check, not by the
    kernel), ``fail`` on ``CheckFailed``, ``error`` on another exception.
    """
    from contextlib import redirect_stdout

    from course_utils.checks import CheckFailed

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    printed = io.StringIO()
    try:
        with redirect_stdout(printed):
            exec(compile(code, "<check cell>", "exec"), {"__builtins__": builtins}, namespace)  # noqa: S102
    except CheckFailed as err:
        return "fail", " ".join(str(err).split())[:500] or "the check failed"
    except (SandboxGone, TimeoutError, ProtocolError):
        raise
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
    import ast

    found: dict[str, tuple[str, str | None]] = {}
    for source in cells_source:
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
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


# ---------------------------------------------------------------- the driver (inside the sandbox)

_SERVE = "__import__('course_tools.answers').answers.serve(3, 4)"


def _quiet_client_class() -> type:
    from nbclient import NotebookClient

    class QuietClient(NotebookClient):
        """Keeps no output but errors, and stops the run when the cells print too much."""

        output_limit = 0
        printed = 0
        ticked: set[int] = set()  # cells that printed ✅
        on_flood: Callable[[], None] = staticmethod(lambda: None)

        def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
            content = msg.get("content", {})
            text = str(content.get("text", ""))
            if "✅" in text:
                self.ticked.add(cell_index)
            self.printed += len(text) + sum(len(str(v)) for v in content.get("data", {}).values())
            if self.printed > self.output_limit:
                self.on_flood()
            if msg.get("msg_type") == "error":
                return super().output(outs, msg, display_id, cell_index)
            return None

    return QuietClient


def drive(notebook: str, checks: list[int], limits_json: str) -> int:
    """Run ``notebook`` cell by cell in a kernel, pausing at each check cell for the grader.

    Runs inside the sandbox, with the grader's pipes on fds 3 (requests) and 4 (events and
    answers). Events: ``started``, ``check`` (then the answer server speaks), ``cell`` (with its
    error, if any), ``stopped`` (time limit, output limit, crashed) and ``end``.
    """
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from course_tools.sandbox import Limits, apply_limits

    limits = Limits.from_json(limits_json)
    apply_limits(limits)
    channel = Channel(3, 4)
    nb = nbformat.read(notebook, as_version=4)
    client = _quiet_client_class()(nb, kernel_name="python3", allow_errors=True, timeout=int(limits.seconds),
                                   startup_timeout=120, resources={"metadata": {"path": os.getcwd()}})
    client.output_limit = 20 * 2**20

    def flood() -> None:
        channel.send({"event": "stopped", "reason": "output limit",
                      "detail": f"the cells printed more than {client.output_limit // 2**20} MB"})
        os._exit(0)

    client.on_flood = flood
    with client.setup_kernel(pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        deadline = time.monotonic() + limits.seconds
        channel.send({"event": "started"})
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.timeout = max(1, int(deadline - time.monotonic()))
            try:
                if index in checks:
                    channel.send({"event": "check", "cell": index})
                    client.timeout, started = 0, time.monotonic()  # the grader's own clock bounds its checks
                    reply = client.wait_for_reply(client.kc.execute(_SERVE, silent=True, store_history=False))
                    deadline += time.monotonic() - started  # checking is not the student's time
                    client.timeout = max(1, int(deadline - time.monotonic()))
                    if (reply or {}).get("content", {}).get("status") != "ok":
                        error = (reply or {}).get("content", {})
                        channel.send({"event": "unanswered", "cell": index,
                                      "detail": f"{error.get('ename', '?')}: {str(error.get('evalue', ''))[:300]}"})
                client.execute_cell(cell, index)
            except (CellTimeoutError, TimeoutError):
                channel.send({"event": "stopped", "reason": "time limit", "cell": index,
                              "detail": f"still running cell {index} after {limits.seconds:.0f} s in all"})
                return 1
            except DeadKernelError:
                channel.send({"event": "stopped", "reason": "crashed", "cell": index,
                              "detail": f"the kernel died in cell {index}"})
                return 1
            errors = [o for o in cell.outputs if o.output_type == "error"]
            channel.send({"event": "cell", "cell": index, "ticked": index in client.ticked,
                          "error": f"{errors[0].ename}: {str(errors[0].evalue)[:300]}" if errors else ""})
            cell.outputs = []
        channel.send({"event": "end"})
    return 0


if __name__ == "__main__":
    for fd, wanted in ((int(sys.argv[4]), 3), (int(sys.argv[5]), 4)):  # the grader's pipes, where serve() expects them
        if fd != wanted:
            os.dup2(fd, wanted)
            os.close(fd)
    sys.exit(drive(sys.argv[1], [int(i) for i in sys.argv[2].split(",") if i], sys.argv[3]))
