"""How the API describes itself (drf-spectacular): the error answers of every operation.

The views annotate what only they know (a step's 403, a stale `version`'s 409: see
`portal.api.REFUSED_OR_STALE`). The answers that follow from how a view is configured are added
here, once, for every operation that does not describe them itself:

- 400 when the operation takes a body, or a query filter that refuses a bad value;
- 401 when it needs a logged-in caller (a token, or a session);
- 403 when such a caller writes (a row or a role not theirs; a session call without CSRF);
- 404 when it names a record in the path (missing and out of scope alike), or a page past a
  list's last;
- 429 when the view is throttled.

A client generated from the schema thus knows every status it may meet.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

ERRORS = {
    400: "Invalid input: the field messages, by field (`non_field_errors` for the whole).",
    401: "No valid credentials: send `Authorization: Token <key>` (or log in).",
    403: "Not allowed: the record or the step is not yours to change, or a session call lacks "
    "its CSRF token.",
    404: "No such record, or not in your scope.",
    429: "Too many requests: wait for the `Retry-After` seconds.",
}
NO_SUCH_PAGE = "No such page: past the last one."


class PortalAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            for parameter in operation.get("parameters", []):
                # django-filter's title is the field's translated label (`状态`): generators name
                # the parameter's enum after it. Without it they use the parameter's name.
                schema = parameter.get("schema", {})
                schema.pop("title", None)
                schema.get("items", {}).pop("title", None)
            responses = operation.setdefault("responses", {})
            for code, description in self.error_answers(operation).items():
                responses.setdefault(str(code), {"description": description})
        return operation

    def get_auth(self):
        # An open endpoint (the token exchange) requires no credentials: say so, instead of
        # listing the authenticators that DRF runs on every view.
        return super().get_auth() if self.needs_login() else []

    def needs_login(self) -> bool:
        return any(
            isinstance(permission, permissions.IsAuthenticated)
            for permission in self.view.get_permissions()
        )

    def error_answers(self, operation: dict) -> dict[int, str]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        answers: dict[int, str] = {}
        # Every query parameter refuses a bad value with a 400: django-filter's, `ordering`
        # (portal.api_backends.StrictOrderingFilter), `page` / `page_size` (PortalPagination).
        if "requestBody" in operation or query:
            answers[400] = ERRORS[400]
        if self.needs_login():
            answers[401] = ERRORS[401]
            if self.method not in permissions.SAFE_METHODS:
                answers[403] = ERRORS[403]
        if any(p["in"] == "path" for p in parameters):
            answers[404] = ERRORS[404]
        elif "page" in query:
            answers[404] = NO_SUCH_PAGE
        if self.view.get_throttles():
            answers[429] = ERRORS[429]
        return answers
