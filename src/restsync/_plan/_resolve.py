"""The one place config-layer strategy models become the plan's strategy values
(``_plan/_strategies.py``): after this, nothing downstream sees a pydantic config class."""

from __future__ import annotations

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
    if auth is None:
        return None
    if isinstance(auth, BearerAuth):
        return BearerToken(auth.token)
    if isinstance(auth, ApiKeyAuth):
        location = "query" if auth.location == "param" else auth.location
        return ApiKey(auth.name, auth.api_key, location)
    if isinstance(auth, HttpBasicAuth):
        return BasicLogin(auth.username, auth.password)
    if isinstance(auth, OAuth2ClientCredentials):
        return _oauth2(auth)
    if isinstance(auth, DltAuthObject):
        return DltAuth(auth.instance)
    raise TypeError(f"unknown auth model {type(auth).__name__}")


def _oauth2(auth: OAuth2ClientCredentials) -> OAuth2ClientGrant:
    return OAuth2ClientGrant(
        access_token_url=auth.access_token_url,
        client_id=auth.client_id,
        client_secret=auth.client_secret,
        access_token=auth.access_token,
        access_token_request_data=dict(auth.access_token_request_data),
        default_token_expiration=auth.default_token_expiration,
        access_token_field=auth.access_token_field,
        expires_field=auth.expires_field,
        expires_is_time=auth.expires_is_time,
    )


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
    values = {
        spec.name: getattr(paginator, spec.name)
        for spec in fields(plan_class)
        if spec.name in type(paginator).model_fields
    }
    if "total_from_default" in {spec.name for spec in fields(plan_class)}:
        values["total_from_default"] = "total_path" not in paginator.model_fields_set
    paging: PagingPlan = plan_class(**values)
    return paging
