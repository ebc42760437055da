"""The dependency graph: edges from a service to the services and hosts it needs.

Only service-to-service edges can form a cycle: a host is a leaf (it belongs to a service, but
it does not depend on anything). A cycle is refused everywhere, with the cycle spelled out,
because a graph with a loop cannot answer "what broke first?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import Dependency, Host, Service
from takepoint.lib.errors import Conflict, InvalidInput, NotFound

ARROW = " → "


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """The first cycle found, as a closed path ["a", "b", "a"], or None.

    Nodes are visited in sorted order so the same graph always reports the same cycle.
    """
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    targets = {node: sorted(set(nexts)) for node, nexts in edges.items()}

    for start in sorted(targets):
        if colour.get(start, white) != white:
            continue
        path = [start]
        stack = [iter(targets.get(start, []))]
        colour[start] = grey
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(nxt, white)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(targets.get(nxt, [])))
    return None


def describe_cycle(cycle: list[str]) -> str:
    return ARROW.join(cycle)


def service_edges(session: Session) -> dict[str, set[str]]:
    """Every service-to-service edge, by slug, in one query."""
    target = Service.__table__.alias("target")
    rows = session.execute(
        select(Service.slug, target.c.slug)
        .join(Dependency, Dependency.service_id == Service.id)
        .join(target, target.c.id == Dependency.depends_on_service_id)
    )
    edges: dict[str, set[str]] = {}
    for source, dest in rows:
        edges.setdefault(source, set()).add(dest)
    return edges


def get_dependency(session: Session, dependency_id: int) -> Dependency:
    dependency = session.get(Dependency, dependency_id)
    if dependency is None:
        raise NotFound(f"no dependency with id {dependency_id}")
    return dependency


def add_dependency(
    session: Session,
    *,
    service: Service,
    on_service: Service | None = None,
    on_host: Host | None = None,
    note: str = "",
) -> Dependency:
    """Record that `service` needs another service or a host; refuses a cycle, naming it."""
    if (on_service is None) == (on_host is None):
        raise InvalidInput("a dependency is on one service or one host", field="depends_on")
    for existing in service.dependencies:
        if (on_service is not None and existing.depends_on_service_id == on_service.id) or (
            on_host is not None and existing.depends_on_host_id == on_host.id
        ):
            target = on_service.slug if on_service is not None else on_host.hostname  # type: ignore[union-attr]
            raise Conflict(f"{service.slug} already depends on {target}", field="depends_on")
    if on_service is not None:
        edges = service_edges(session)
        edges.setdefault(service.slug, set()).add(on_service.slug)
        cycle = find_cycle(edges)
        if cycle is not None:
            raise InvalidInput(
                f"that would make a dependency cycle: {describe_cycle(cycle)}",
                field="depends_on",
            )
    dependency = Dependency(
        service=service,
        depends_on_service=on_service,
        depends_on_host=on_host,
        note=note.strip()[:500],
    )
    session.add(dependency)
    session.flush()
    return dependency


def remove_dependency(session: Session, *, dependency: Dependency) -> None:
    session.delete(dependency)
    session.flush()


# --- drawing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    key: str  # "service:app-server" or "host:txn-01"
    label: str
    href: str
    depth: int  # negative upstream (what it needs), positive downstream (who needs it)
    tier: int | None = None


@dataclass
class Neighbourhood:
    """A service with what it needs (upstream) and what needs it (downstream), a few hops out."""

    centre: Node
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (needer, needed)

    def column(self, depth: int) -> list[Node]:
        return [n for n in self.nodes if n.depth == depth]

    @property
    def depths(self) -> list[int]:
        return sorted({n.depth for n in self.nodes})


def _service_node(service: Service, depth: int) -> Node:
    return Node(
        key=f"service:{service.slug}",
        label=service.name,
        href=f"/services/{service.slug}",
        depth=depth,
        tier=service.tier,
    )


def _host_node(host: Host, depth: int) -> Node:
    return Node(
        key=f"host:{host.hostname}",
        label=f"{host.hostname} (host of {host.service.slug})",
        href=f"/services/{host.service.slug}#hosts",
        depth=depth,
    )


def neighbourhood(session: Session, *, service: Service, hops: int = 2) -> Neighbourhood:
    """The graph around one service, loaded in one query for all edges."""
    deps = list(
        session.scalars(
            select(Dependency).options(
                selectinload(Dependency.service),
                selectinload(Dependency.depends_on_service),
                selectinload(Dependency.depends_on_host).selectinload(Host.service),
            )
        )
    )
    needs: dict[int, list[Dependency]] = {}
    needed_by: dict[int, list[Dependency]] = {}
    for dep in deps:
        needs.setdefault(dep.service_id, []).append(dep)
        if dep.depends_on_service_id is not None:
            needed_by.setdefault(dep.depends_on_service_id, []).append(dep)
        elif dep.depends_on_host is not None:
            needed_by.setdefault(dep.depends_on_host.service_id, []).append(dep)

    centre = _service_node(service, 0)
    result = Neighbourhood(centre=centre, nodes=[centre])
    seen = {centre.key}
    edge_set: set[tuple[str, str]] = set()

    frontier = [service.id]
    for depth in range(1, hops + 1):
        nxt: list[int] = []
        for sid in frontier:
            for dep in needs.get(sid, []):
                needer = f"service:{dep.service.slug}"
                if dep.depends_on_service is not None:
                    node = _service_node(dep.depends_on_service, -depth)
                else:
                    assert dep.depends_on_host is not None
                    node = _host_node(dep.depends_on_host, -depth)
                edge_set.add((needer, node.key))
                if node.key not in seen:
                    seen.add(node.key)
                    result.nodes.append(node)
                    if dep.depends_on_service is not None:
                        nxt.append(dep.depends_on_service.id)
        frontier = nxt

    key_of = {service.id: centre.key}
    frontier = [service.id]
    for depth in range(1, hops + 1):
        nxt = []
        for sid in frontier:
            for dep in needed_by.get(sid, []):
                if dep.service_id == sid:
                    continue  # a service that depends on one of its own hosts
                node = _service_node(dep.service, depth)
                edge_set.add((node.key, key_of[sid]))
                if node.key not in seen:
                    seen.add(node.key)
                    result.nodes.append(node)
                    key_of[dep.service.id] = node.key
                    nxt.append(dep.service.id)
        frontier = nxt

    keys = {n.key for n in result.nodes}
    result.edges = sorted(e for e in edge_set if e[0] in keys and e[1] in keys)
    result.nodes.sort(key=lambda n: (n.depth, n.tier or 9, n.label))
    return result
