"""The grader's side of grading (pristine): ask the sandbox for the notebook's names, hold handles on them.

The teacher's check cell runs from the course's own code in the grader's process (``check_cells.run_check``),
in a ``Namespace``: its own names, the teacher notebook's imports, builtins, then the student's notebook,
asked through a ``Session``. A name comes back as plain data (``codec``) or as a ``Remote``: a handle on a
function, class or object that stays in the sandbox. Calling a handle sends the arguments into the sandbox
(``cloudpickle``), runs the student's code there, and brings back the result the same way. A handle never
becomes an instance of a class the student named: it only *says* it is one (``isinstance(handle,
Dataset)``) when the class lives in ``torch``, ``numpy`` or ``course_utils``, is already imported and is the
class the name leads to (``runner._true_name``), and it never runs that class's code.
"""

from __future__ import annotations

import builtins
import importlib
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any

from course_tools.grading.codec import _b64, _is_tensor, _mutables, _short, decode, encode
from course_tools.grading.protocol import Channel, ProtocolError
from course_tools.grading.runner import _handle

__all__ = ["Namespace", "Remote", "Session", "StudentError"]


#: Modules whose classes a handle may *say* it is an instance of (for ``isinstance`` in checks).
_CLAIMABLE = ("torch", "numpy", "course_utils")


class StudentError(Exception):
    """An exception the student's code raised in the sandbox, named like the original."""


_BUILTIN_ERRORS = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, OSError)
}
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

    def __init__(
        self,
        channel: Channel,
        deadline: Callable[[], float],
        poll: Callable[[], None] | None = None,
        sources: list[str] | None = None,
    ):
        import torch

        self.channel, self.deadline, self.poll = channel, deadline, poll
        self.sources = list(sources or [])
        self.next_id = 0
        self.anchor = torch.zeros(
            (), requires_grad=True
        )  # makes every bridged answer differentiable

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
        things = _mutables((args, kwargs), lambda value: isinstance(value, Remote))
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
                    if type(value) is not dict or not all(
                        isinstance(v, torch.Tensor) for v in value.values()
                    ):
                        raise ProtocolError("a module's new state that is not tensors")
                    own = thing.state_dict()
                    for name, tensor in value.items():
                        if name in own and own[name].shape == tensor.shape:
                            own[name].copy_(tensor.to(own[name].dtype))

    def remote(self, meta: dict[str, Any]) -> Remote:
        """A handle on the sandbox's object that ``meta`` describes (how ``codec.decode`` makes one)."""
        return _remote(self, meta)

    def backward(self, key: int, grad: Any, inputs: tuple[Any, ...]) -> list[Any]:
        """Gradients, for ``inputs``, of the sandbox's graph ``key`` given the gradient of its output."""
        import torch

        response = self.ask(
            {"op": "backward", "graph": key, "grad": encode(grad.detach().to("cpu"))}
        )
        grads = decode(response.get("value"))
        if type(grads) is not list or len(grads) != len(inputs):
            raise ProtocolError("gradients that do not match the inputs")
        out = []
        for g, inp in zip(grads, inputs):
            if g is not None and (not isinstance(g, torch.Tensor) or g.shape != inp.shape):
                raise ProtocolError("a gradient of the wrong shape")
            out.append(None if g is None else g.to(inp.dtype).to(inp.device))
        return out


def _claim(mro: Any) -> type | None:
    """The class a handle may say it is an instance of: the first one of its (claimed) classes that
    lives in ``torch``, ``numpy`` or ``course_utils``, is already imported here, and is not a tensor
    or an array (those come as data). Never imported, never inherited, never instantiated."""
    import numpy as np
    import torch

    for qualified in mro if type(mro) is list else []:
        module, _, name = str(qualified).rpartition(".")
        if (
            module.split(".")[0] not in _CLAIMABLE
            or module not in sys.modules
            or not name.isidentifier()
        ):
            continue
        cls = vars(sys.modules[module]).get(name)
        if isinstance(cls, type) and not issubclass(
            cls, (torch.Tensor, np.ndarray, np.generic, BaseException)
        ):
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

        self._session.value(
            {
                "op": "setattr",
                "remote": self._key,
                "name": name,
                "value": _b64(cloudpickle.dumps(value)),
            }
        )

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
    name = (
        type_name
        if type(type_name) is str and type_name.isidentifier() and len(type_name) <= 60
        else "object"
    )
    if (name, is_callable) not in _CLASSES:
        base = _CallableRemote if is_callable else Remote
        _CLASSES[(name, is_callable)] = type(
            name, (base,), {"__module__": "student", "__qualname__": name}
        )
    return _CLASSES[(name, is_callable)]


def _remote(session: Session, meta: dict[str, Any], name: str = "") -> Remote:
    """A proxy for the sandbox object ``meta`` describes (see ``_Server.handle``)."""
    if type(meta.get("key")) is not int or type(meta.get("mro", [])) is not list:
        raise ProtocolError("a malformed handle")
    proxy = object.__new__(_proxy_class(meta.get("type"), meta.get("callable") is True))
    mro = meta.get("mro", [])[:30]
    if (
        meta.get("is_class") is True
    ):  # a class: isinstance(handle, type) holds, issubclass() reads __bases__
        object.__setattr__(proxy, "__bases__", (_claim(mro[1:]) or object,))
        claimed: type | None = type
    else:
        claimed = _claim(mro)
    for attribute, value in (
        ("_session", session),
        ("_key", meta["key"]),
        ("_meta", meta),
        ("_claimed", claimed),
        ("_name", name),
        ("__name__", str(meta.get("name", "?"))[:200]),
    ):
        object.__setattr__(proxy, attribute, value)
    return proxy


class Namespace(dict):
    """The names a check cell sees in the grader: its own, the teacher notebook's imports,
    builtins, then (only then) the student's notebook in the sandbox."""

    def __init__(
        self,
        session: Session,
        imports: dict[str, tuple[str, str | None]],
        own: dict[str, Any] | None = None,
    ):
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
