"""The one place config-layer strategy models become the plan's strategy values
(``_plan/_strategies.py``): after this, nothing downstream sees a pydantic config class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from pydantic import BaseModel

from restsync._config import (
    ApiKeyAuth,
    AuthConfig,
    AutoPaginator,
    BearerAuth,
    CursorPaginator,
    DltAuthObject,
    DltPaginatorObject,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    HttpBasicAuth,
    JSONLinkPaginator,
    OAuth2ClientCredentials,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorConfig,
    RateLimit,
    SinglePagePaginator,
)
from restsync._plan._paging import (
    AutoPaging,
    CursorPaging,
    DltPaging,
    HeaderCursorPaging,
    HeaderLinkPaging,
    JSONLinkPaging,
    OffsetPaging,
    PageNumberPaging,
    PagingPlan,
    SinglePaging,
)
from restsync._plan._strategies import (
    ApiKey,
    AuthPlan,
    BasicLogin,
    BearerToken,
    DltAuth,
    OAuth2ClientGrant,
    RateBudget,
)

__all__ = ["auth_plan", "paging_plan", "rate_budget"]


def rate_budget(rate_limit: RateLimit | None) -> RateBudget | None:
    if rate_limit is None:
        return None
    return RateBudget(rate_limit.requests_per_second, rate_limit.burst)


def auth_plan(auth: AuthConfig | None) -> AuthPlan | None:
    """The auth a config names, as the plan's value (dlt's ``param`` location is ``query``)."""
    return None if auth is None else _AUTH[type(auth)](auth)


def _api_key(auth: ApiKeyAuth) -> ApiKey:
    return ApiKey(auth.name, auth.api_key, "query" if auth.location == "param" else auth.location)


def _oauth2(auth: OAuth2ClientCredentials) -> OAuth2ClientGrant:
    values = _same_named(auth, OAuth2ClientGrant)
    # a copy: the plan's value must not share a mutable dict with the config it came from
    values["access_token_request_data"] = dict(auth.access_token_request_data)
    return OAuth2ClientGrant(**values)


_AUTH: dict[type[BaseModel], Callable[[Any], AuthPlan]] = {
    BearerAuth: lambda auth: BearerToken(auth.token),
    ApiKeyAuth: _api_key,
    HttpBasicAuth: lambda auth: BasicLogin(auth.username, auth.password),
    OAuth2ClientCredentials: _oauth2,
    DltAuthObject: lambda auth: DltAuth(auth.instance),
}


def _same_named(model: BaseModel, plan_class: type[Any]) -> dict[str, Any]:
    """The values of ``model``'s fields that ``plan_class`` has under the same name."""
    return {
        spec.name: getattr(model, spec.name)
        for spec in fields(plan_class)
        if spec.name in type(model).model_fields
    }


# config paginator class -> the plan's paging class: they share their field names
_PAGING: dict[type[BaseModel], type[Any]] = {
    AutoPaginator: AutoPaging,
    SinglePagePaginator: SinglePaging,
    HeaderLinkPaginator: HeaderLinkPaging,
    JSONLinkPaginator: JSONLinkPaging,
    HeaderCursorPaginator: HeaderCursorPaging,
    CursorPaginator: CursorPaging,
    OffsetPaginator: OffsetPaging,
    PageNumberPaginator: PageNumberPaging,
    DltPaginatorObject: DltPaging,
}


def paging_plan(paginator: PaginatorConfig) -> PagingPlan:
    """A resolved paginator config as the plan's paging value."""
    plan_class = _PAGING[type(paginator)]
    values = _same_named(paginator, plan_class)
    if "total_from_default" in {spec.name for spec in fields(plan_class)}:
        values["total_from_default"] = "total_path" not in paginator.model_fields_set
    paging: PagingPlan = plan_class(**values)
    return paging
