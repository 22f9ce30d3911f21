"""Find (or start) the PostgreSQL and Redis servers the store tests run against.

PostgreSQL: ``ZIPPIFI_TEST_POSTGRES_URL`` if set, else 127.0.0.1:5432 as user postgres, root
or the current user (trust auth), else a throwaway cluster from local binaries (initdb +
pg_ctl on a free port in a temp dir, as the postgres system user when run as root).
Redis: ``ZIPPIFI_TEST_REDIS_URL`` if set, else 127.0.0.1:6379, else a throwaway
``redis-server --port <free> --save ''``. An explicitly set URL that does not answer is
reported, not replaced. Each finder returns ``(url, None)`` or ``(None, reason)``; callers skip
with that reason (which CI=true turns into a failure). Also used by bench/test_store_bench.py.
"""

from __future__ import annotations

import asyncio
import atexit
import getpass
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import redis

PG_ENV = "ZIPPIFI_TEST_POSTGRES_URL"
REDIS_ENV = "ZIPPIFI_TEST_REDIS_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_ok(url: str) -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _start_postgres() -> tuple[str | None, str]:
    initdb = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    if initdb is None:
        return None, "no initdb binary"
    as_user: list[str] = []
    data = tempfile.mkdtemp(prefix="zippifi-pg-")
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres system user
        runuser = shutil.which("runuser")
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            pg = None
        if runuser is None or pg is None:
            return None, "initdb refuses root and there is no postgres user to run it as"
        os.chown(data, pg.pw_uid, pg.pw_gid)
        as_user = [runuser, "-u", "postgres", "--"]
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -F"
    subprocess.run(
        [*as_user, pg_ctl, "-D", data, "-o", opts, "-l", f"{data}/log", "-w", "start"],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", ""


def find_postgres() -> tuple[str | None, str | None]:
    """An admin URL (may CREATE DATABASE), or None and why not."""
    explicit = os.environ.get(PG_ENV)
    if explicit:
        problem = _pg_ok(explicit)
        return (explicit, None) if problem is None else (None, f"{PG_ENV} unreachable: {problem}")
    tried = []
    for user, db in (("postgres", "postgres"), ("root", "test"), (getpass.getuser(), "postgres")):
        url = f"postgresql://{user}@127.0.0.1:5432/{db}"
        problem = _pg_ok(url)
        if problem is None:
            return url, None
        tried.append(f"{url}: {problem}")
    try:
        url, why = _start_postgres()
    except (OSError, subprocess.CalledProcessError) as exc:
        url, why = None, f"throwaway server failed: {exc}"
    if url is not None:
        return url, None
    return None, f"no PostgreSQL: {'; '.join(tried)}; {why}"


def _redis_ok(url: str) -> str | None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _start_redis() -> tuple[str | None, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return None, "no redis-server binary"
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _redis_ok(url) is None:
            return url, ""
        time.sleep(0.05)
    return None, "throwaway redis-server did not answer"


def find_redis() -> tuple[str | None, str | None]:
    explicit = os.environ.get(REDIS_ENV)
    if explicit:
        problem = _redis_ok(explicit)
        return (
            (explicit, None) if problem is None else (None, f"{REDIS_ENV} unreachable: {problem}")
        )
    url = "redis://127.0.0.1:6379/0"
    problem = _redis_ok(url)
    if problem is None:
        return url, None
    started, why = _start_redis()
    if started is not None:
        return started, None
    return None, f"no Redis: {url}: {problem}; {why}"


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def with_database(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def delete_redis_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
