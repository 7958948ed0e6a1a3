"""Test-wide settings: Prefect runs offline with project-local state (see ../shared/reference/stack.md §4)."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# One Prefect home per test process, removed at exit. An xdist worker inherits its controller's and
# makes its own: two servers migrating one SQLite database fail ("duplicate column name").
if os.environ.get("PREFECT_HOME", "") in ("", os.environ.get("ISVI_TEST_PREFECT_HOME")):
    _prefect_home = tempfile.mkdtemp(prefix="isvi-prefect-")
    os.environ["PREFECT_HOME"] = os.environ["ISVI_TEST_PREFECT_HOME"] = _prefect_home
    atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)

from flows.runtime import offline_env  # noqa: E402  (stdlib only)

offline_env()  # before prefect is imported anywhere in this session

# Prefect's console handler keeps the stream it was built with. Built lazily inside a test that
# captures with capsys, it kept that test's capture file and wrote to it, closed, in every later
# test (a RecursionError through Prefect's print_as_log; the order under pytest-xdist hit it).
# Built here, before any test, it keeps the session's stderr.
from prefect.logging.configuration import ensure_logging_setup  # noqa: E402

ensure_logging_setup()

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real Prefect server (``prefect server start`` on loopback) for every flow and batch test."""
    from flows.runtime import prefect_server

    os.environ.pop("PREFECT_API_URL", None)
    with prefect_server(log_file=tmp_path_factory.mktemp("prefect") / "server.log") as api:
        yield api


@pytest.fixture
def on_prefect_server(prefect_api):
    """The test's flows run on the session's Prefect server. Without it, a CLI that runs a flow with
    no ``PREFECT_API_URL`` (``isvi benchmark``, ``isvi train``) starts Prefect's temporary server, whose
    "Stopping..." line at interpreter exit went to a stream pytest had closed (a logging traceback in
    CI's output)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from prefect.logging.handlers import APILogHandler

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        yield prefect_api
        APILogHandler().flush()  # the flow's last logs, while the server still runs


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto_server) on loopback, one per test session."""
    from tests.moto_s3 import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint, request):
    """A fresh bucket named after the test, as an ``s3://`` URL."""
    from tests.moto_s3 import make_bucket

    name = "isvi-" + request.node.name.lower().replace("_", "-").replace("[", "-").replace("]", "")[:40]
    make_bucket(name)
    return f"s3://{name}"

