"""Auth and paginator configs: the strategy blocks a client, endpoint or resource default names
by ``type`` (a discriminated union each). The engine and the simulator dispatch on these classes.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, SecretStr, field_validator

from restsync._config._base import ConfigModel as _Model

__all__ = [
    "ApiKeyAuth",
    "AuthConfig",
    "AutoPaginator",
    "BearerAuth",
    "CursorPaginator",
    "DltAuthObject",
    "DltPaginatorObject",
    "HeaderCursorPaginator",
    "HeaderLinkPaginator",
    "HttpBasicAuth",
    "JSONLinkPaginator",
    "OAuth2ClientCredentials",
    "OffsetPaginator",
    "PageNumberPaginator",
    "PaginatorConfig",
    "SinglePagePaginator",
]


# --- auth -------------------------------------------------------------------------------------


class BearerAuth(_Model):
    type: Literal["bearer"] = "bearer"
    token: SecretStr


class ApiKeyAuth(_Model):
    type: Literal["api_key"]
    name: str = "Authorization"
    api_key: SecretStr
    # dlt accepts "param" as a synonym of "query"
    location: Literal["header", "query", "param", "cookie"] = "header"


class HttpBasicAuth(_Model):
    type: Literal["http_basic"]
    username: str
    password: SecretStr = SecretStr("")


class OAuth2ClientCredentials(_Model):
    type: Literal["oauth2_client_credentials"]
    access_token_url: str
    client_id: SecretStr
    client_secret: SecretStr
    access_token: SecretStr | None = None
    access_token_request_data: dict[str, Any] = Field(default_factory=dict)
    default_token_expiration: int = 3600
    # where the token answer keeps the token and its expiry (found at any depth, as Airbyte does)
    access_token_field: str = "access_token"
    expires_field: str = "expires_in"
    # the expiry is a point in time (Unix seconds or an ISO 8601 text), not seconds from now
    expires_is_time: bool = False


class _DltObject(_Model):
    """A dlt object restsync runs by its own code (``_engine/_dlt_objects.py``): one that cannot
    be read into a dict form (a subclass of dlt's classes, a class registered with dlt under a
    type name). Only Python code can give one; YAML cannot."""

    dlt_class: ClassVar[str]  # "module:Class" of the dlt base class the object must derive from

    type: Literal["dlt_object"]
    instance: Any

    @field_validator("instance")
    @classmethod
    def _of_dlt_class(cls, value: Any) -> Any:
        module, name = cls.dlt_class.split(":")
        base = getattr(importlib.import_module(module), name)
        if not isinstance(value, base):
            raise ValueError(f"must be a dlt {name} object, given in Python code")
        return value


class DltAuthObject(_DltObject):
    """Signs each request to the API's origin with the object's own ``__call__``."""

    dlt_class = "dlt.sources.helpers.rest_client.auth:AuthConfigBase"


AuthConfig = Annotated[
    BearerAuth | ApiKeyAuth | HttpBasicAuth | OAuth2ClientCredentials | DltAuthObject,
    Discriminator("type"),
]


# --- paginators -------------------------------------------------------------------------------


class AutoPaginator(_Model):
    """No paginator given: detected from the first response (Link header, next link, one page)."""

    type: Literal["auto"]


class SinglePagePaginator(_Model):
    type: Literal["single_page"]


class HeaderLinkPaginator(_Model):
    type: Literal["header_link"]
    links_next_key: str = "next"


class JSONLinkPaginator(_Model):
    type: Literal["json_link"]
    next_url_path: str | None = None


class HeaderCursorPaginator(_Model):
    type: Literal["header_cursor"]
    cursor_key: str = "next"
    cursor_param: str = "cursor"


class CursorPaginator(_Model):
    type: Literal["cursor"]
    cursor_param: str | None = None
    cursor_path: str | None = None
    cursor_body_path: str | None = None
    stop_condition: str | None = None
    limit: int | None = Field(default=None, gt=0)
    limit_param: str = "limit"
    stop_after_empty_page: bool = True
    has_more_path: str | None = None


class OffsetPaginator(_Model):
    type: Literal["offset"]
    limit: int = Field(gt=0)
    offset: int = Field(default=0, ge=0)
    offset_param: str = "offset"
    limit_param: str = "limit"
    offset_body_path: str | None = None
    limit_body_path: str | None = None
    total_path: str | None = None
    maximum_offset: int | None = None
    stop_after_empty_page: bool = True
    has_more_path: str | None = None
    stop_condition: str | None = None


class PageNumberPaginator(_Model):
    type: Literal["page_number"]
    base_page: int = 0
    page: int | None = None
    page_param: str = "page"
    page_body_path: str | None = None
    total_path: str | None = None
    maximum_page: int | None = None
    stop_after_empty_page: bool = True
    has_more_path: str | None = None
    stop_condition: str | None = None
    # not in dlt: a page size to send, for APIs that take one
    limit: int | None = Field(default=None, gt=0)
    limit_param: str = "limit"


class DltPaginatorObject(_DltObject):
    """Pages with the object's own ``update_state`` / ``update_request``."""

    dlt_class = "dlt.sources.helpers.rest_client.paginators:BasePaginator"


PaginatorConfig = Annotated[
    AutoPaginator
    | SinglePagePaginator
    | HeaderLinkPaginator
    | JSONLinkPaginator
    | HeaderCursorPaginator
    | CursorPaginator
    | OffsetPaginator
    | PageNumberPaginator
    | DltPaginatorObject,
    Discriminator("type"),
]
