"""Fixtures for the command-line tests: run `aimmo-gt` in this process, write GT files."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "scripts"))

import make_export  # noqa: E402  (a script, not a package: importable once scripts/ is on the path)


@pytest.fixture(scope="session")
def documents() -> dict[str, dict]:
    """The valid documents of the example export, by path."""
    return make_export.example_documents()


@pytest.fixture
def image(documents) -> dict:
    return json.loads(json.dumps(documents["images/daytime/image (28).json"]))


@pytest.fixture
def image_bytes(image) -> bytes:
    return json.dumps(image, indent=2).encode()


# --- Object storage and a cluster, real ones (tests/cli/test_storage.py, test_dask.py): started once
# per session, on 127.0.0.1, by the suite itself.


@dataclass
class S3:
    """moto's S3 server and the credentials of a user who may read and write the buckets named
    `aimmo-export*` and nothing else (moto checks them: the server runs with IAM authorisation on)."""

    endpoint: str
    key: str
    secret: str

    #: Readable by the user (written before authorisation was turned on), but not by them.
    DENIED = "aimmo-secret"
    BUCKET = "aimmo-export"

    def storage(self, **extra: object) -> dict[str, object]:
        """s3fs's options that point it at the server as the user."""
        return {
            "endpoint_url": self.endpoint,
            "key": self.key,
            "secret": self.secret,
            "client_kwargs": {"region_name": "us-east-1"},
            **extra,
        }

    def options(self, **extra: object) -> list[str]:
        """The same as the CLI's --storage-option arguments."""
        arguments = []
        for name, value in self.storage(**extra).items():
            text = value if isinstance(value, str) else json.dumps(value)
            arguments += ["--storage-option", f"{name}={text}"]
        return arguments

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
        )

    def upload(self, folder: Path, prefix: str, bucket: str = BUCKET) -> str:
        """Every file under `folder` to s3://bucket/prefix/...; returns that URL."""
        client = self.client()
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                client.put_object(
                    Bucket=bucket,
                    Key=f"{prefix}/{path.relative_to(folder).as_posix()}",
                    Body=path.read_bytes(),
                )
        return f"s3://{bucket}/{prefix}"


@pytest.fixture(scope="session")
def s3():
    import logging

    import boto3
    from moto import settings
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    admin = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "admin"}
    admin["aws_secret_access_key"] = "admin"
    client, iam = boto3.client("s3", **admin), boto3.client("iam", **admin)
    client.create_bucket(Bucket=S3.BUCKET)
    client.create_bucket(Bucket=S3.DENIED)
    client.put_object(Bucket=S3.DENIED, Key="export/a.json", Body=b"{}")
    iam.create_user(UserName="labeller")
    buckets = [f"arn:aws:s3:::{S3.BUCKET}*", f"arn:aws:s3:::{S3.BUCKET}*/*"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": buckets}],
    }
    iam.put_user_policy(UserName="labeller", PolicyName="export", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="labeller")["AccessKey"]
    previous = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from here on every request is authorised by IAM
    try:
        yield S3(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = previous
        server.stop()


@dataclass
class Cluster:
    scheduler_address: str


@pytest.fixture(scope="session")
def dask_cluster():
    """A Dask LocalCluster of 2 worker processes (each with its nanny, as on a real cluster), started
    by tests/cli/dask_cluster.py in a process of its own."""
    import subprocess

    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("dask_cluster.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    address = process.stdout.readline().strip()
    assert address.startswith("tcp://"), f"the cluster did not start (it said {address!r})"
    try:
        yield Cluster(address)
    finally:
        process.stdin.close()  # the script closes its cluster and exits
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
