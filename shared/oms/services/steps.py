"""How a lifecycle step changes an order: decide on the order as read, commit it with the step's other
writes on the order's version; if someone else saved it first, read again and decide again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from oms.clock import parse_rfc3339
from oms.domain import credit, lifecycle
from oms.domain.change import Change
from oms.domain.errors import NotFound
from oms.domain.lifecycle import OrderClosed
from oms.domain.orders import Order
from oms.observability import logger
from oms.ports.phases import Phase
from oms.ports.unit_of_work import CommitRefused, OpenBalance, OrderChange, Write
from oms.services.deps import Deps

SAVE_ATTEMPTS = 8
# How long a step may wait for the phase it should have started before a redelivered trigger starts it
# again: shorter than the partner-events queue's visibility timeout (6 x the worker's 30 s), so SQS's
# redelivery after a worker died between its commit and the start does start it; longer than a phase
# takes, so a partner's prompt re-send of the same event does not run a second execution beside it.
RESTART_AFTER = timedelta(minutes=2)


@dataclass
class Step:
    """What one attempt of a step decided: the change to the order and any writes that go with it."""

    change: Change = field(default_factory=Change)
    writes: list[Write] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


Decide = Callable[[Order], Step]


def load(deps: Deps, order_id: str) -> Order:
    order = deps.uow.orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def update(deps: Deps, order_id: str, decide: Decide, loaded: Order | None = None) -> tuple[Order, Step]:
    """Apply `decide` to the current order and commit; on a concurrent change, read again and retry.

    `loaded` is the order as the caller just read it, to decide on without reading it again: the commit
    is conditional on its version, so a change made meanwhile is caught there and decided on afresh.
    A change of what a net-terms order owes moves its customer's open balance in the same commit."""
    for attempt in range(SAVE_ATTEMPTS):
        order = loaded if attempt == 0 and loaded is not None else load(deps, order_id)
        owed_before = credit.owed(order)
        step = decide(order)
        if not step.change and not step.writes:
            return order, step
        order.timeline += step.change.entries
        order.updated_at = deps.now()
        deps.uow.add(OrderChange(order, order.version), *step.writes, *_balance_moves(deps, order, owed_before))
        try:
            deps.uow.commit()
        except CommitRefused as refused:
            if refused.conflict or refused.of(OrderChange) or any(w.reread for w in refused.refused):
                continue  # someone else moved the order (or what it decided on) first: decide again
            raise
        deps.publisher.publish(order, step.change.events)
        return order, step
    raise CommitRefused(conflict=True)


def _balance_moves(deps: Deps, order: Order, owed_before: int) -> list[Write]:
    delta = credit.owed(order) - owed_before
    if delta == 0:
        return []
    config = deps.uow.config.storefront(order.storefront_id)
    limit = credit.credit_limit(config.config if config else {}, order.customer.id)
    return [OpenBalance(order.storefront_id, order.customer.id, delta, limit)]


def change(transition: Callable[[Order], Change]) -> Decide:
    """A step that is just one transition of the order."""
    return lambda order: Step(change=transition(order))


def idempotency_key(order: Order, *parts: str) -> str:
    """The key a partner call carries, so a retried step never books, captures or voids twice."""
    return ":".join((order.order_id, *parts))


def require_open(order: Order) -> None:
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order.order_id} is {order.status}")


def begin(deps: Deps, order_id: str, phase: Phase) -> None:
    """Start the phase; one that cannot start now stays on the order, due at once for the sweeper.

    When it can neither start nor be kept, the error goes to the caller: its trigger is retried (the
    storefront's checkout with its key, the partner's event by SQS, the admin's review) and each of
    those starts the phase again when it finds its step already done."""
    if deps.phases.start(phase):
        return
    logger.warning("phase not started; kept on the order for the sweeper", extra={"execution": phase.name})
    update(deps, order_id, change(lambda o: lifecycle.phase_not_started(o, phase.as_dict(), deps.now())))


def waited_too_long(deps: Deps, since: str | None) -> bool:
    """Whether a step done at `since` has waited past RESTART_AFTER for its phase."""
    return since is not None and parse_rfc3339(since) + RESTART_AFTER <= deps.clock.now()


def kept(order: Order, phase: Phase) -> bool:
    """Whether the order keeps this phase for the sweeper (it could not start when it was due)."""
    return any(unstarted["name"] == phase.name for unstarted in order.unstarted_phases)
