"""Log lines printed during a run go through the same masking as the CLI's own messages: the
engine and the loader log each failure as it happens (``ERROR restsync: ...``), and a server can
echo a credential back in the error a failure quotes. The masking itself is the library's
(``restsync._secrets``): ``restsync.sync`` masks the same lines."""

from __future__ import annotations

from restsync._secrets import scrubbed_logs

__all__ = ["scrubbed_logs"]
