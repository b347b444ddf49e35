"""The test kit every app's tests build on (NetBox's view test mixins, for this portal).

- `transition_cases(Model)`: every (step, source state) its workflow declares, to parametrise
  "every persona × every transition" without listing them by hand; a new transition is then
  tested as soon as it is declared, and its test fails until the app says who may take it.
- `assert_step(...)`: takes one step through the page or the API as a persona and checks the
  outcome both ways: allowed, the record reached the target state, its version moved on and one
  event names the actor, the step and both states; refused, the answer is the expected 403 or
  404 and nothing changed (state, version, events).
- `assert_scope(...)`: a list (page or API) shows exactly the rows a persona may see.
- `PAGE` and `queries(...)`: the query-count baseline every signed-in page pays, by name, so a
  page's test states only what is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models
from django.urls import reverse

from portal import workflow

# --- workflows -----------------------------------------------------------------------------------


def transition_cases(model: type[models.Model]) -> list[tuple[str, str]]:
    """(step name, source state) for every transition `model` declares."""
    return [(t.name, source) for t in workflow.transitions_of(model) for source in t.sources]


def put_in_state(obj: models.Model, state: str, field: str = "status") -> models.Model:
    """`obj` moved to `state` directly in the database (test set-up, not a transition)."""
    type(obj)._default_manager.filter(pk=obj.pk).update(**{field: state})
    obj.refresh_from_db()
    return obj


def step_body(obj: models.Model, name: str, comment: str = "按要求办理") -> dict:
    """The request body of step `name` as the declaration asks for it: the version read, and
    a comment when the step takes one."""
    info = workflow.get_transition(type(obj), name)
    body = {"version": obj.version}
    if info.comment is not workflow.Comment.NONE:
        body["comment"] = comment
    return body


def assert_step(
    *,
    client,
    obj: models.Model,
    name: str,
    url: str,
    expected: int,
    actor,
    api: bool,
    body: dict | None = None,
) -> None:
    """Post step `name` of `obj` to `url` as `client` (a page client, or an API client when
    `api`), and check the outcome: `expected` is 200 (allowed), 403 or 404."""
    info = workflow.get_transition(type(obj), name)
    events, fk = workflow.event_model(type(obj))
    before = (getattr(obj, info.field), obj.version, events.objects.filter(**{fk: obj}).count())
    body = step_body(obj, name) if body is None else body
    if api:
        response = client.post(url, body, format="json")
    else:
        response = client.post(url, {**body, "action": name})
    obj.refresh_from_db()
    after_count = events.objects.filter(**{fk: obj}).count()
    if expected == 200:
        assert response.status_code == (200 if api else 302), response.content[:500]
        assert getattr(obj, info.field) == info.target
        assert obj.version > before[1]
        assert after_count == before[2] + 1
        event = events.objects.filter(**{fk: obj}).order_by("-at", "-pk").first()
        assert (event.action, event.from_state, event.to_state, event.actor_id) == (
            name,
            before[0],
            info.target,
            actor.pk,
        )
        if "comment" in body:
            assert event.comment == body["comment"].strip()
    else:
        assert response.status_code == expected, response.content[:500]
        assert (getattr(obj, info.field), obj.version, after_count) == before


def api_step_url(basename: str, obj: models.Model, name: str) -> str:
    return reverse(f"{basename}-{name}", args=[obj.pk])


# --- scope ---------------------------------------------------------------------------------------


def assert_scope(rows: Iterable, expected: set, key: Callable = lambda row: row) -> None:
    """The rows a list gave are exactly the `expected` ones (by `key`), no more, no fewer."""
    assert {key(row) for row in rows} == set(expected)


# --- what every page pays -------------------------------------------------------------------------

# The queries of a signed-in page before its own: the session is read through the cache
# (cached_db), so it costs none once warm; then the user with its organisation, and the
# navigation's inbox badge and notification bell, which are cached per user until something they
# count changes (0 when cached).
PAGE = {
    "user (with its organisation)": 1,
}


def queries(*own: int, warm: bool = False, **named: int) -> int:
    """The baseline `PAGE` plus a page's own queries, for django_assert_num_queries. `warm`:
    the client has made a request since signing in, so the user's row comes from the cache
    (portal.backends) and the baseline is none."""
    return (0 if warm else sum(PAGE.values())) + sum(own) + sum(named.values())
