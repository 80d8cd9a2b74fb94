"""Model loading never unpickles and never runs code shipped with a model unless the user passes
``-o trust_remote_code=true``: planted pickles and planted modules that would write a marker file
stay unopened by default (and do run once trusted, which shows the plant works), every refusal
names the opt-in, and no pickle-loading call exists anywhere in the source."""

import ast
import json
import pickle
from pathlib import Path

import pytest

from xling.errors import UserError
from xling.models import load_model
from xling.models.load_safety import pickled_weights

SRC = Path(__file__).resolve().parents[1] / "src" / "xling"
OPT_IN = "trust_remote_code=true"


class _Planted:
    """Unpickling this writes the marker file: what a malicious pytorch_model.bin can do."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('unpickled')",)


PLANTED_MODULE = """
open({marker!r}, "w").write("imported")
from transformers import PretrainedConfig, PreTrainedModel


class PlantedConfig(PretrainedConfig):
    model_type = "xling-planted"


class PlantedModel(PreTrainedModel):
    config_class = PlantedConfig


class PlantedModule:
    pass
"""


def tiny_bert(path: Path) -> Path:
    from transformers import BertConfig, BertModel

    BertModel(
        BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8)
    ).save_pretrained(path)
    return path


def pickled_only(path: Path, marker: Path) -> Path:
    """A model directory whose only weights are a pickle that writes ``marker`` when loaded."""
    tiny_bert(path)
    (path / "model.safetensors").unlink()
    (path / "pytorch_model.bin").write_bytes(pickle.dumps(_Planted(marker)))
    return path


def with_custom_code(path: Path, marker: Path, auto_map: dict) -> Path:
    """A model directory whose config maps to a planted module that writes ``marker`` on import."""
    tiny_bert(path)
    (path / "planted.py").write_text(PLANTED_MODULE.format(marker=str(marker)))
    cfg = json.loads((path / "config.json").read_text())
    cfg.update(model_type="xling-planted", auto_map=auto_map)
    (path / "config.json").write_text(json.dumps(cfg))
    return path


@pytest.fixture
def modules_cache(tmp_path, monkeypatch):
    """transformers copies trusted model code here (not into ~/.cache)."""
    import transformers.dynamic_module_utils as dmu

    monkeypatch.setattr(dmu, "HF_MODULES_CACHE", str(tmp_path / "hf-modules"))
    return tmp_path / "hf-modules"


# --- pickles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["encoder", "hf", "st", "vllm"])
def test_pickled_weights_are_refused_by_default_and_the_error_names_the_opt_in(tmp_path, spec):
    marker = tmp_path / "unpickled.txt"
    d = pickled_only(tmp_path / "model", marker)
    with pytest.raises(UserError) as err:
        backend = load_model(f"{spec}:{d}", {})
        backend.load_encoder()  # the encoder backend loads its weights on demand
    text = str(err.value) + str(getattr(err.value, "hint", ""))
    assert "pytorch_model.bin" in text and OPT_IN in text
    assert not marker.exists()


def test_the_planted_pickle_would_run_if_opened(tmp_path):
    """The control: the plant above is a real threat, so refusing to open it matters."""
    marker = tmp_path / "unpickled.txt"
    pickle.loads(pickled_only(tmp_path / "model", marker).joinpath("pytorch_model.bin").read_bytes())
    assert marker.read_text() == "unpickled"


def test_pickled_weights_next_to_safetensors_are_ignored_not_refused(tmp_path):
    d = tiny_bert(tmp_path / "both")
    (d / "pytorch_model.bin").write_bytes(b"never read")
    (d / "2_Dense").mkdir()
    (d / "2_Dense" / "pytorch_model.bin").write_bytes(b"no safetensors next to it")
    assert pickled_weights(d) == [d / "2_Dense" / "pytorch_model.bin"]
    (d / "2_Dense" / "model.safetensors").write_bytes(b"")
    assert pickled_weights(d) == []
    encoder = load_model(f"encoder:{d}", {}).load_encoder()  # the safetensors weights, not the .bin
    assert encoder.config.hidden_size == 8


# --- code shipped with the model -------------------------------------------------------------------


def test_encoder_custom_code_runs_only_when_trusted(tmp_path, modules_cache):
    marker = tmp_path / "imported.txt"
    d = with_custom_code(
        tmp_path / "model", marker, {"AutoConfig": "planted.PlantedConfig", "AutoModel": "planted.PlantedModel"}
    )
    with pytest.raises(UserError) as err:
        load_model(f"encoder:{d}", {}).load_encoder()
    assert OPT_IN in err.value.hint and "own Python code" in str(err.value)
    assert not marker.exists()
    # the planted model is not a working one: any error will do, importing it is the point
    with pytest.raises(Exception):  # noqa: B017
        load_model(f"encoder:{d}", {"trust_remote_code": True}).load_encoder()
    assert marker.read_text() == "imported"


def test_hf_lm_custom_code_runs_only_when_trusted(tmp_path, modules_cache):
    marker = tmp_path / "imported.txt"
    d = with_custom_code(
        tmp_path / "model",
        marker,
        {
            "AutoConfig": "planted.PlantedConfig",
            "AutoModelForCausalLM": "planted.PlantedModel",
            "AutoTokenizer": ["planted.PlantedModule", None],
        },
    )
    with pytest.raises(UserError) as err:
        load_model(f"hf:{d}", {})
    assert OPT_IN in err.value.hint
    assert not marker.exists()
    with pytest.raises(Exception):  # noqa: B017 (any error: the planted code having run is the check)
        load_model(f"hf:{d}", {"trust_remote_code": True})
    assert marker.read_text() == "imported"


def test_sentence_transformers_custom_module_runs_only_when_trusted(tmp_path, modules_cache):
    marker = tmp_path / "imported.txt"
    d = tiny_bert(tmp_path / "model")
    (d / "planted.py").write_text(PLANTED_MODULE.format(marker=str(marker)))
    (d / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "planted.PlantedModule"}]))
    with pytest.raises(UserError) as err:
        load_model(f"st:{d}", {})
    assert OPT_IN in err.value.hint
    assert not marker.exists()
    with pytest.raises(Exception):  # noqa: B017 (any error: the planted code having run is the check)
        load_model(f"st:{d}", {"trust_remote_code": True})
    assert marker.read_text() == "imported"


# --- the source itself ----------------------------------------------------------------------------

UNPICKLERS = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve", "jsonpickle"}


def unsafe_loading(source: str, filename: str = "<src>") -> list[str]:
    """Calls and imports in ``source`` that can unpickle or run a model's code."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in UNPICKLERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNPICKLERS:
            found.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            kw = {k.arg: k.value for k in node.keywords if k.arg}

            def is_const(name, value, kw=kw):
                return name in kw and isinstance(kw[name], ast.Constant) and kw[name].value is value

            if func.split(".")[0] in UNPICKLERS:
                found.append(f"{where}: {func}(...)")
            if func.endswith("torch.load"):
                if not is_const("weights_only", True):
                    found.append(f"{where}: {func}(...) without weights_only=True")
            if func.split(".")[-1] in ("load", "read_pickle") and func.split(".")[0] in ("np", "numpy", "pd", "pandas"):
                if func.endswith("read_pickle") or "allow_pickle" in kw and not is_const("allow_pickle", False):
                    found.append(f"{where}: {func}(...) may unpickle")
            if is_const("trust_remote_code", True):
                found.append(f"{where}: trust_remote_code=True hard-coded")
            if is_const("use_safetensors", False):
                found.append(f"{where}: use_safetensors=False")
    return found


def test_no_source_file_unpickles_or_trusts_model_code():
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        offences += unsafe_loading(path.read_text("utf-8"), str(path.relative_to(SRC)))
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "from joblib import load",
        "import cloudpickle as cp",
        "x = pickle.loads(b)",
        "torch.load(path)",
        "torch.load(path, weights_only=False)",
        "np.load(f, allow_pickle=True)",
        "pd.read_pickle(f)",
        "AutoModel.from_pretrained(p, trust_remote_code=True)",
        "AutoModel.from_pretrained(p, use_safetensors=False)",
    ],
)
def test_the_source_scan_catches_each_pattern(snippet):
    assert unsafe_loading(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "torch.load(path, weights_only=True)",
        "np.load(f)",
        "np.load(f, allow_pickle=False)",
        "AutoModel.from_pretrained(p, trust_remote_code=bool(opt))",
        "json.load(fh)",
    ],
)
def test_the_source_scan_lets_safe_calls_pass(snippet):
    assert not unsafe_loading(snippet)
