"""A throw-away PostgreSQL cluster for the server tests (Debian's `postgresql`, `make postgres`).

`initdb` refuses to run as root: as root the cluster belongs to the system user `postgres` (which
Debian's package creates) and its commands run through `runuser`. The server listens on 127.0.0.1 and
a free port, with its socket in the cluster's own folder, and trusts local connections.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "krise"
DATABASE = "dagster"


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb; fails (not skips) without one."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    assert found, "PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin): run `make postgres`"
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    root: Path
    port: int
    bin: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its connection from."""
        return {"KRISE_PG_HOST": "127.0.0.1", "KRISE_PG_PORT": str(self.port), "KRISE_PG_DB": DATABASE,
                "KRISE_PG_USER": USER, "KRISE_PG_PASSWORD": "unused-with-trust"}

    def _as_owner(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        data = self.root / "data"
        self._as_owner("initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        self._as_owner("pg_ctl", "-D", str(data), "-w", "-l", str(self.root / "server.log"), "-o",
                       f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        self._as_owner("createdb", "-h", str(self.root), "-p", str(self.port), "-U", USER, DATABASE)

    def stop(self) -> None:
        self._as_owner("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg2

        with psycopg2.connect(host="127.0.0.1", port=self.port, user=USER, dbname=DATABASE) as conn, \
                conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        conn.close()
        return rows


def new_cluster() -> Cluster:
    """A started cluster in a new folder under the system's temp dir (the owner must reach it)."""
    root = Path(tempfile.mkdtemp(prefix="krise-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = Cluster(root=root, port=free_port(), bin=bin_dir())
    cluster.start()
    return cluster


def remove(cluster: Cluster) -> None:
    try:
        cluster.stop()
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)
