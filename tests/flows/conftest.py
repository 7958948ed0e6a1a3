import os

from flows.runtime import offline_env

offline_env()  # before prefect is imported anywhere in this session

import pytest  # noqa: E402

from tests.moto_s3 import make_bucket, moto_server  # noqa: E402


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real Prefect server (``prefect server start`` on loopback) for every flow test."""
    from flows.runtime import prefect_server

    os.environ.pop("PREFECT_API_URL", None)
    with prefect_server(log_file=tmp_path_factory.mktemp("prefect") / "server.log") as api:
        yield api


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint, request):
    name = "isvi-" + request.node.name.lower().replace("_", "-")[:40]
    make_bucket(name)
    return f"s3://{name}"
