"""Resolve a validated config into the ``SourcePlan`` that every later stage shares."""

from restsync._plan._build import build_plan
from restsync._plan._credentials import PLAIN_HEADERS, SECRET_PARAM_NAME
from restsync._plan._incremental import parse_datetime_value
from restsync._plan._model import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RETRY,
    IncrementalPlan,
    ParentLink,
    ResourcePlan,
    RetryPolicy,
    SourcePlan,
    TimeParam,
)
from restsync._plan._paging import (
    AutoPaging,
    CursorPaging,
    CustomPaging,
    DltPaging,
    HeaderCursorPaging,
    HeaderLinkPaging,
    JSONLinkPaging,
    OffsetPaging,
    PageNumberPaging,
    PagingPlan,
    SinglePaging,
    describe_paging,
)
from restsync._plan._parents import PLACEHOLDER, placeholders
from restsync._plan._strategies import (
    ApiKey,
    AuthPlan,
    BasicLogin,
    BearerToken,
    DltAuth,
    OAuth2ClientGrant,
    RateBudget,
    SessionLogin,
)

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_RETRY",
    "PLACEHOLDER",
    "PLAIN_HEADERS",
    "SECRET_PARAM_NAME",
    "ApiKey",
    "AuthPlan",
    "AutoPaging",
    "BasicLogin",
    "BearerToken",
    "CursorPaging",
    "CustomPaging",
    "DltAuth",
    "DltPaging",
    "HeaderCursorPaging",
    "HeaderLinkPaging",
    "IncrementalPlan",
    "JSONLinkPaging",
    "OAuth2ClientGrant",
    "OffsetPaging",
    "PageNumberPaging",
    "PagingPlan",
    "ParentLink",
    "RateBudget",
    "SessionLogin",
    "ResourcePlan",
    "RetryPolicy",
    "SinglePaging",
    "SourcePlan",
    "TimeParam",
    "build_plan",
    "describe_paging",
    "parse_datetime_value",
    "placeholders",
]
