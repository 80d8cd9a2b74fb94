"""vLLM backend: runs only on a machine with vLLM and a CUDA GPU (skips here otherwise).

On a GPU it must agree with the transformers backend on XCOPA's chosen answers."""

import pytest

from xling.errors import UserError
from xling.models import load_model


def _gpu() -> bool:
    try:
        import torch
        import vllm  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


def test_without_vllm_or_gpu_the_error_says_what_to_do():
    if _gpu():
        pytest.skip("a GPU with vLLM is present")
    with pytest.raises(UserError) as exc:
        load_model("vllm:Qwen/Qwen2.5-0.5B")
    assert "vllm" in str(exc.value).lower() and ("pip install" in str(exc.value) or "GPU" in str(exc.value))


@pytest.mark.skipif(not _gpu(), reason="needs vLLM and a CUDA GPU")
def test_vllm_agrees_with_transformers_on_xcopa(shared_data, tmp_path):
    import xling

    common = dict(tasks=["xcopa"], languages=["ita_Latn", "swh_Latn", "zho_Hans"], limit=50, data_dir=shared_data)
    a = xling.evaluate(model="vllm:gemma3-270m", output=tmp_path / "v", cache_path=tmp_path / "cv.sqlite", **common)
    b = xling.evaluate(
        model="hf:gemma3-270m",
        model_options={"device": "cuda"},
        output=tmp_path / "h",
        cache_path=tmp_path / "ch.sqlite",
        **common,
    )
    pa, pb = a.predictions(), b.predictions()
    merged = pa.merge(pb, on=["task", "setting", "language", "item_id"])
    agree = sum(x["answer"] == y["answer"] for x, y in zip(merged["prediction_x"], merged["prediction_y"]))
    assert agree / len(merged) >= 0.95
