"""Answers as data: ``encode`` writes a value as JSON-ready data (in the sandbox), ``decode`` rebuilds it.

An answer comes back from the sandbox as plain data (numbers, strings, tensors, arrays, and tuples,
lists, dicts, named tuples and dataclasses of them) or as a handle on a function, class or object that
stays in the sandbox (``handles.Remote``). What comes back is rebuilt by ``decode`` alone, field by field,
with limits: types from a short list, tensors and arrays as raw bytes of a whitelisted dtype whose size
must match their shape, bounded nesting (``MAX_DEPTH``) and size (``MAX_NODES``). Nothing is unpickled
in the grader, and a record (named tuple, dataclass) becomes the grader's own class of that name, never
the student's. A result tensor that has a graph in the sandbox gets a ``backward`` in the grader that
asks the sandbox to propagate the gradient through the student's graph (``_bridge``), so
``loss.backward()`` and ``torch.autograd.grad`` work across the boundary.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from course_tools.grading.protocol import GradingStop, ProtocolError

__all__ = ["MAX_DEPTH", "MAX_NODES", "decode", "encode"]


MAX_DEPTH = 32  # nesting of containers in one value
MAX_NODES = 200_000  # items in one value (containers, numbers, tensors, ...)
_TENSOR_DTYPES = (
    "float64",
    "float32",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
    "complex64",
    "complex128",
)
_ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex: never object arrays


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encode(
    value: Any, handle: Callable[[Any], dict[str, Any]] | None = None, depth: int = 0
) -> Any:
    """``value`` as JSON-ready data; what is not plain data becomes ``handle(value)`` (or ``TypeError``).

    Runs in the sandbox. Tensors keep their ``requires_grad``, their ``.grad`` (a leaf's) and,
    through ``handle``, a key to their graph.

    Example:
        >>> encode((1, "a", None, 2.5))
        {'t': 'tuple', 'v': [1, 'a', None, 2.5]}
    """
    np, torch = (
        sys.modules.get("numpy"),
        sys.modules.get("torch"),
    )  # never imported here: a value of theirs means they are

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
        return (
            value
            if value == value and abs(value) != float("inf")
            else {"t": "float", "v": repr(value)}
        )
    if type(value) in (tuple, list):
        return {"t": type(value).__name__, "v": [encode(v, handle, depth + 1) for v in value]}
    if type(value) is dict or type(value) in (collections.OrderedDict, collections.defaultdict):
        return {
            "t": "dict",
            "v": [
                [encode(k, None, depth + 1), encode(v, handle, depth + 1)] for k, v in value.items()
            ],
        }
    if isinstance(value, tuple) and _record_fields(
        type(value)
    ):  # a NamedTuple: a tuple whose items have names
        return {
            "t": "namedtuple",
            "name": type(value).__name__,
            "fields": list(type(value)._fields),
            "v": [encode(v, handle, depth + 1) for v in tuple.__iter__(value)],
        }
    if (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and _field_name(type(value).__name__.lstrip("_"))
        and all(_field_name(f.name) for f in dataclasses.fields(value))
    ):
        fields = [f.name for f in dataclasses.fields(value)]
        return {
            "t": "dataclass",
            "name": type(value).__name__,
            "fields": fields,
            "v": [encode(getattr(value, name), handle, depth + 1) for name in fields],
        }
    if torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter):
        name = str(value.dtype).removeprefix("torch.")
        if name not in _TENSOR_DTYPES or value.layout != torch.strided or value.is_quantized:
            return remote()
        flat = value.detach().to("cpu").resolve_conj().resolve_neg().contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        out = {
            "t": "tensor",
            "dtype": name,
            "shape": list(value.shape),
            "device": value.device.type,
            "requires_grad": value.requires_grad,
            "parameter": type(value) is torch.nn.Parameter,
            "data": _b64(data),
        }
        if value.grad_fn is not None and handle is not None:
            out["graph"] = handle(("graph", value))["key"]
        if value.is_leaf and value.grad is not None and type(value.grad) is torch.Tensor:
            out["grad"] = encode(value.grad, None, depth + 1)
        return out
    if np is not None and type(value) is np.ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            return remote()
        return {
            "t": "ndarray",
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "data": _b64(np.ascontiguousarray(value).tobytes()),
        }
    if (
        np is not None
        and isinstance(value, np.generic)
        and type(value).__module__ == "numpy"
        and value.dtype.kind in _ARRAY_KINDS
    ):
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
    return (
        issubclass(cls, tuple)
        and type(fields) is tuple
        and _field_name(cls.__name__.lstrip("_"))
        and all(_field_name(f) for f in fields)
    )


def _field_name(name: Any) -> bool:
    """A name a field of a record (named tuple, dataclass) made in the grader may have: never private or magic.

    Example:
        >>> _field_name("weight"), _field_name("_asdict"), _field_name("__class__"), _field_name("class")
        (True, False, False, False)
    """
    import keyword

    return (
        type(name) is str
        and name.isidentifier()
        and not name.startswith("_")
        and not keyword.iskeyword(name)
        and len(name) <= 60
    )


_RECORDS: dict[tuple[str, str, tuple[str, ...]], type] = {}


def _record(kind: str, name: Any, fields: Any) -> type:
    """The grader's own named tuple or frozen dataclass for a record the sandbox described: only its
    name and field names are the student's (checked), none of its code."""
    if (
        type(name) is not str
        or not _field_name(name.lstrip("_"))
        or type(fields) is not list
        or len(fields) > 64
        or len(set(fields)) != len(fields)
        or not all(_field_name(f) for f in fields)
    ):
        raise ProtocolError(f"a {kind} with bad names")
    key = (kind, name, tuple(fields))
    if key not in _RECORDS:
        if kind == "namedtuple":
            cls = collections.namedtuple(name, fields, module="student")
        else:
            cls = dataclasses.make_dataclass(
                name, fields, frozen=True, namespace={"__module__": "student"}
            )
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


def decode(
    data: Any,
    session: Any = None,
    link: tuple[Any, ...] = (),
    depth: int = 0,
    budget: _Budget | None = None,
) -> Any:
    """The value ``encode`` described, checked field by field; ``ProtocolError`` if malformed.

    Handles become ``Remote`` proxies of ``session`` (the grader's ``handles.Session``); a tensor with a
    graph gets a ``backward`` through ``session`` to the inputs ``link`` names (see ``Session.call``).

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
            if (
                not isinstance(state, torch.Tensor)
                or state.dtype != torch.uint8
                or state.dim() != 1
            ):
                raise ProtocolError("a generator state should be bytes")
            return torch.Generator().set_state(state)
        if kind == "remote":
            if session is None:
                raise ProtocolError("a handle where only data is allowed")
            return session.remote(data)
    except GradingStop:
        raise
    except Exception as err:  # noqa: BLE001 - any malformed field is the sender's fault
        raise ProtocolError(f"malformed {kind}: {type(err).__name__}: {str(err)[:80]}") from None
    raise ProtocolError(f"unknown value kind {_short(kind)}")


def _short(value: Any) -> str:
    return repr(value)[:60]


def _shape(value: Any) -> list[int]:
    if (
        type(value) is not list
        or len(value) > 32
        or not all(type(n) is int and 0 <= n < 2**40 for n in value)
    ):
        raise ProtocolError("a bad shape")
    return value


def _count(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
        if n > 2**40:
            raise ProtocolError("a shape too large")
    return n


def _decode_tensor(
    data: dict[str, Any], session: Any, link: tuple[Any, ...], depth: int, budget: _Budget
) -> Any:
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
    with (
        torch._C.DisableTorchFunction()
    ):  # a check's torch function mode must not see the grader's own work
        tensor = (
            torch.frombuffer(raw, dtype=torch.uint8).view(dtype)
            if raw
            else torch.empty(0, dtype=dtype)
        ).reshape(shape)
        if data.get("device") == "cuda" and torch.cuda.is_available():
            tensor = tensor.to("cuda")
        grad = data.get("grad")
        wants_grad = data.get("requires_grad") is True and (
            tensor.is_floating_point() or tensor.is_complex()
        )
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
        if (
            not isinstance(value, torch.Tensor)
            or value.shape != tensor.shape
            or not tensor.requires_grad
        ):
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
            def forward(
                ctx: Any, value: Any, where: tuple[Any, ...], anchor: Any, *inputs: Any
            ) -> Any:
                ctx.where = where
                return value.clone()

            @staticmethod
            def backward(ctx: Any, grad: Any) -> Any:
                session, key, inputs = ctx.where
                return (None, None, None, *session.backward(key, grad, inputs))

        _BRIDGE = Bridge
    return _BRIDGE


_BRIDGE: type | None = None


def _mutables(
    value: Any, skip: Callable[[Any], bool], found: list[Any] | None = None, depth: int = 0
) -> list[Any]:
    """The tensors and modules inside ``value`` (tuples, lists, dict values), in a fixed order, but
    not handles (``skip``: a ``Remote`` in the grader; an object a handle named, in the sandbox)."""
    torch = sys.modules.get("torch")  # not loaded: no tensor or module can be in ``value``

    found = [] if found is None else found
    if depth > MAX_DEPTH or skip(value):
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


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)
