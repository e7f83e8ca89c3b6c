"""The sandbox's side of grading (untrusted): run the submission's cells, answer the grader's requests.

In the sandbox (``python -I -m course_tools.grading.runner CELLS LIMITS READ_FD WRITE_FD``), ``run``
executes the submission's code cells one by one in an IPython shell (the cell syntax of Jupyter:
magics, ``!`` commands, ``display``), its printed output counted and thrown away. At each check
cell it *serves* first (``serve``): it answers the grader's requests (look a name up, call a function or a
class, get or set an attribute, iterate, send a gradient back) until the grader says
``continue``; then it runs the cell as the notebook would, and that run's output and ✅ mean
nothing. Everything here belongs to the student: the process, its answers and every
message it sends. Values go back as data (``codec.encode``), anything else as a handle: a key to
the object, which stays here. A call also sends back the new values of the tensors and modules it
was given, so the grader sees what the call changed in place.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from course_tools.grading.codec import _is_tensor, _mutables, decode, encode
from course_tools.grading.protocol import MAX_MESSAGE, Channel

__all__ = ["OUTPUT_LIMIT", "run", "serve"]


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
        mro = (
            [_true_name(c) for c in type.__dict__["__mro__"].__get__(cls)]
            if isinstance(cls, type)
            else []
        )
        return {
            "t": "remote",
            "key": key,
            "name": str(getattr(value, "__name__", type(value).__name__))[:200],
            "type": str(type(value).__name__)[:60],
            "callable": callable(value),
            "is_class": isinstance(value, type),
            "mro": mro[:30],
        }

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
    module, qualname = (
        type.__dict__[name].__get__(cls) for name in ("__module__", "__qualname__")
    )  # not a metaclass's
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


def _versions(things: list[Any]) -> list[Any]:
    torch = sys.modules.get("torch")

    def version(t: Any) -> int:
        return t._version

    return [
        version(t)
        if isinstance(t, torch.Tensor)
        else tuple(version(p) for p in [*t.parameters(), *t.buffers()])
        for t in things
    ]


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
                response = (
                    {"value": server.reply(user_ns[name])} if name in user_ns else {"missing": True}
                )
            elif op == "call":
                server.resolved.clear()
                args, kwargs = cloudpickle.loads(base64.b64decode(request["args"]))
                things = _mutables((args, kwargs), lambda value: id(value) in server.resolved)
                before = _versions(things)
                server.inputs = [t for t in things if _is_tensor(t) and t.requires_grad]
                try:
                    result = server.objects[request["remote"]](*args, **kwargs)
                    response = {"value": server.reply(result)}
                finally:
                    server.inputs = []
                response["after"] = _changed(things, before, server)
            elif op == "getattr":
                response = {
                    "value": server.reply(
                        getattr(server.objects[request["remote"]], request["name"])
                    )
                }
            elif op == "setattr":
                value = cloudpickle.loads(base64.b64decode(request["value"]))
                setattr(server.objects[request["remote"]], request["name"], value)
                response = {"value": None}
            elif op == "builtin":
                target, name = server.objects[request["remote"]], request["name"]
                args = (
                    cloudpickle.loads(base64.b64decode(request["args"]))
                    if request.get("args")
                    else ()
                )
                if name == "next":
                    try:
                        response = {"value": server.reply(next(target))}
                    except StopIteration:
                        response = {"stop": True}
                else:
                    call = {
                        "len": len,
                        "getitem": lambda t, k: t[k],
                        "iter": iter,
                        "contains": lambda t, k: k in t,
                    }[name]
                    response = {"value": server.reply(call(target, *args))}
            elif op == "backward":
                import torch

                out, inputs = server.graphs[request["graph"]]
                grad = decode(request["grad"]).to(out.device)
                for t in inputs:
                    t.grad = None
                torch.autograd.backward([out], [grad], retain_graph=True)
                response = {
                    "value": encode([None if t.grad is None else t.grad.detach() for t in inputs])
                }
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
            response = {
                "id": rid,
                **_error(MemoryError(f"the answer is larger than {MAX_MESSAGE // 2**20} MB")),
            }
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
    from course_tools.grading.limits import Limits, apply_limits

    apply_limits(Limits.from_json(limits_json))
    for fd in (
        read_fd,
        write_fd,
    ):  # the student's child processes do not inherit the grader's pipes
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
            channel.send(
                {
                    "event": "error",
                    "cell": index,
                    "name": type(error).__name__[:80],
                    "text": str(error)[:200],
                }
            )
    channel.send({"event": "end"})
    return 0


def _shell() -> Any:
    """An IPython shell as a notebook's kernel has one, minus the kernel (no GUI, no history file)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class GradingShell(InteractiveShell):
        def enable_gui(
            self, gui: str | None = None
        ) -> None:  # %matplotlib inline: no event loop to start
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    return GradingShell.instance(config=config)


if (
    __name__ == "__main__"
):  # run from the module itself, not from __main__: handles unpickle into its _SERVER
    sys.exit(
        importlib.import_module("course_tools.grading.runner").run(
            sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        )
    )
