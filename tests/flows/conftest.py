import os

from flows.runtime import offline_env

offline_env()  # before prefect is imported anywhere in this session

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real Prefect server (``prefect server start`` on loopback) for every flow test."""
    from flows.runtime import prefect_server

    os.environ.pop("PREFECT_API_URL", None)
    with prefect_server(log_file=tmp_path_factory.mktemp("prefect") / "server.log") as api:
        yield api


