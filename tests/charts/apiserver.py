"""A real Kubernetes API server on this machine, for server-side dry runs of the chart: Debian's etcd
and kube-apiserver built from k8s.io/kubernetes (deploy/k8s/tools.sh), on free loopback ports, with a
CA, serving certificate, service-account key and admin token generated into a temporary directory.
Nothing runs but the API: no scheduler, no controllers, so objects are validated and admitted (and
with ``dryRun=All`` never stored) exactly as a cluster's API server would, and nothing starts.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

START_TIMEOUT = 180.0
FIELD_MANAGER = "xinyi-chart-test"


class DryRunRefused(Exception):
    """The API server refused an object: its status message, as kubectl would print it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_certificates(directory: Path) -> None:
    """ca.crt, server.crt/.key for 127.0.0.1 and localhost, sa.key/.pub for service-account tokens."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xinyi-chart-test-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = serialization.Encoding.PEM
    unencrypted = serialization.NoEncryption()
    (directory / "ca.crt").write_bytes(ca.public_bytes(pem))
    (directory / "server.crt").write_bytes(server.public_bytes(pem))
    (directory / "server.key").write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, unencrypted)
    )
    (directory / "sa.key").write_bytes(sa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, unencrypted))
    (directory / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@dataclass
class ApiServer:
    """A running API server: ``dry_run`` an object, ``create`` one for real (CRDs, the namespace)."""

    url: str
    client: httpx.Client
    _resources: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)

    def _discover(self, api_version: str) -> None:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        answer = self.client.get(path)
        if answer.status_code == 404:
            return
        answer.raise_for_status()
        for resource in answer.json()["resources"]:
            if "/" not in resource["name"]:
                self._resources[(api_version, resource["kind"])] = (resource["name"], resource["namespaced"])

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of a kind, from the server's discovery (retried while a new CRD settles)."""
        deadline = time.monotonic() + 30
        while (api_version, kind) not in self._resources:
            self._discover(api_version)
            if (api_version, kind) in self._resources:
                break
            if time.monotonic() > deadline:
                raise DryRunRefused(f'no resource "{kind}" in "{api_version}" on this server (is its CRD applied?)')
            time.sleep(0.5)
        return self._resources[(api_version, kind)]

    def _path(self, obj: dict[str, Any], namespace: str) -> str:
        api_version, kind = obj["apiVersion"], obj["kind"]
        plural, namespaced = self.resource(api_version, kind)
        prefix = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        scope = f"/namespaces/{namespace}" if namespaced else ""
        return f"{prefix}{scope}/{plural}/{obj['metadata']['name']}"

    def apply(self, obj: dict[str, Any], namespace: str, *, dry_run: bool) -> list[str]:
        """Server-side apply (as ``kubectl apply --server-side [--dry-run=server]``), unknown or duplicate
        fields refused (``fieldValidation=Strict``). Returns the server's warnings; raises DryRunRefused."""
        params = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict", "force": "true"}
        if dry_run:
            params["dryRun"] = "All"
        answer = self.client.patch(
            self._path(obj, namespace),
            params=params,
            content=json.dumps(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if answer.status_code >= 400:
            try:
                message = answer.json().get("message", answer.text)
            except ValueError:
                message = answer.text
            raise DryRunRefused(f"{obj['kind']}/{obj['metadata']['name']}: {message}")
        return [value for key, value in answer.headers.multi_items() if key.lower() == "warning"]

    def dry_run(self, obj: dict[str, Any], namespace: str) -> list[str]:
        return self.apply(obj, namespace, dry_run=True)

    def apply_crds(self, files: Iterable[Path]) -> None:
        """Creates each CRD as it is (large ones too: server-side apply keeps no annotation) and waits
        until every one is established."""
        names = []
        for path in files:
            for crd in yaml.safe_load_all(path.read_text()):
                if crd:
                    self.apply(crd, "", dry_run=False)
                    names.append(crd["metadata"]["name"])
        deadline = time.monotonic() + 60
        for name in names:
            while True:
                status = self.client.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").json()
                conditions = {c["type"]: c["status"] for c in status.get("status", {}).get("conditions", [])}
                if conditions.get("Established") == "True":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"CRD {name} not established: {conditions}")
                time.sleep(0.2)

    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}
        self.apply(namespace, "", dry_run=False)


def _wait_ready(client: httpx.Client, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                program = Path(cast(list[str], process.args)[0]).name
                raise RuntimeError(f"{program} exited with {process.returncode}; see {logs}")
        try:
            answer = client.get("/readyz")
            if answer.status_code == 200:
                return
            last = answer.text[-500:]
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.5)
    raise TimeoutError(f"kube-apiserver not ready after {START_TIMEOUT:.0f}s: {last}; logs in {logs}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(apiserver: str, etcd: str, *, keep_logs: Path | None = None) -> Iterator[ApiServer]:
    """etcd and kube-apiserver on free loopback ports, stopped (and their data removed) on exit; with
    ``keep_logs`` their logs are copied there first."""
    workdir = Path(tempfile.mkdtemp(prefix="xinyi-apiserver-"))
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        _write_certificates(workdir)
        token = secrets.token_urlsafe(32)
        (workdir / "tokens.csv").write_text(f'{token},xinyi-admin,xinyi-admin,"system:masters"\n')
        etcd_client, etcd_peer, secure_port = free_port(), free_port(), free_port()
        etcd_log = (workdir / "etcd.log").open("wb")
        logs.append(etcd_log)
        processes.append(
            subprocess.Popen(
                [
                    etcd,
                    "--name=xinyi-chart-test",
                    f"--data-dir={workdir / 'etcd'}",
                    f"--listen-client-urls=http://127.0.0.1:{etcd_client}",
                    f"--advertise-client-urls=http://127.0.0.1:{etcd_client}",
                    f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
                    f"--initial-cluster=xinyi-chart-test=http://127.0.0.1:{etcd_peer}",
                    "--log-level=warn",
                ],
                stdout=etcd_log,
                stderr=subprocess.STDOUT,
            )
        )
        apiserver_log = (workdir / "kube-apiserver.log").open("wb")
        logs.append(apiserver_log)
        processes.append(
            subprocess.Popen(
                [
                    apiserver,
                    f"--etcd-servers=http://127.0.0.1:{etcd_client}",
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    f"--secure-port={secure_port}",
                    f"--tls-cert-file={workdir / 'server.crt'}",
                    f"--tls-private-key-file={workdir / 'server.key'}",
                    f"--client-ca-file={workdir / 'ca.crt'}",
                    f"--token-auth-file={workdir / 'tokens.csv'}",
                    "--authorization-mode=RBAC",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    f"--service-account-key-file={workdir / 'sa.pub'}",
                    f"--service-account-signing-key-file={workdir / 'sa.key'}",
                    "--service-cluster-ip-range=10.96.0.0/16",
                    # No nodes, no kubernetes Service endpoints to keep.
                    "--endpoint-reconciler-type=none",
                    "--v=1",
                ],
                stdout=apiserver_log,
                stderr=subprocess.STDOUT,
            )
        )
        client = httpx.Client(
            base_url=f"https://127.0.0.1:{secure_port}",
            verify=ssl.create_default_context(cafile=str(workdir / "ca.crt")),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        with client:
            _wait_ready(client, processes, keep_logs or workdir)
            yield ApiServer(url=str(client.base_url), client=client)
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in logs:
            log.close()
        if keep_logs is not None:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for name in ("etcd.log", "kube-apiserver.log"):
                if (workdir / name).exists():
                    shutil.copy(workdir / name, keep_logs / name)
        shutil.rmtree(workdir, ignore_errors=True)
