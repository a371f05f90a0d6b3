"""What a queued job carries: the function by name, JSON arguments, and who it is for.

Everything is JSON, so a job stored in Redis is data, never code to unpickle. The
tenant is recorded when the job is enqueued and re-read when it runs; the function
is named by import path and resolved in the process that runs it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import Any, Literal

TENANT: Literal["tenant"] = "tenant"
PLATFORM: Literal["platform"] = "platform"


@dataclass(frozen=True)
class Envelope:
    """One job: ``function(*args)`` for a tenant (or for the platform), started by ``acting``."""

    id: str
    function: str
    args: list[Any]
    scope: Literal["tenant", "platform"]
    tenant_id: int | None
    tenant_slug: str | None
    #: The tenant's revision when the job was enqueued (it runs at the live one).
    revision: int
    #: ``Account.reference`` of whoever enqueued it: ``u:<tenant id>:<email>``, ``o:<email>``.
    acting: str | None
    #: The plugin whose function it is (None for the core's and the application's).
    plugin: str | None
    enqueued_at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        return cls(**data)

    def describe(self) -> str:
        where = f"tenant {self.tenant_slug!r}" if self.scope == TENANT else "the platform"
        return f"{self.function} for {where}"


def reference(function: Any) -> str:
    """``module:qualname`` of a function a worker can import, or TypeError saying why not."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not callable(function) or not module or not qualname:
        raise TypeError(f"a job runs a function, not {function!r}")
    if "<" in qualname or module == "__main__":
        raise TypeError(
            f"{module}.{qualname} cannot be imported by a worker: a job runs a function "
            "defined at module level in an importable module (no lambdas or nested functions)"
        )
    path = f"{module}:{qualname}"
    if resolve(path) is not function:
        raise TypeError(f"{path} does not name the function given; enqueue the module-level one")
    return path


def resolve(path: str) -> Any:
    module, _, qualname = path.partition(":")
    found: Any = import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def json_args(args: tuple[Any, ...]) -> list[Any]:
    """The arguments as JSON would give them back, or TypeError naming the problem."""
    try:
        return json.loads(json.dumps(list(args)))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"job arguments are JSON ({error}): pass ids and plain values, not objects"
        ) from None
