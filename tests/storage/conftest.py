import pytest

from tests.moto_s3 import make_bucket, moto_server


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint, request):
    name = "isvi-" + request.node.name.lower().replace("_", "-").replace("[", "-").replace("]", "")[:40]
    make_bucket(name)
    return f"s3://{name}"
