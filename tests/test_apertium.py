"""The Apertium translator backend (real apertium, installed by scripts/install-system-deps.sh)."""

import subprocess

import pytest

from xling.calls.cache import ResponseCache
from xling.calls.translate import Translator
from xling.errors import UserError
from xling.models.registry import load_model


@pytest.fixture(scope="module")
def spa_eng(apertium):
    return load_model("apertium:spa-eng")


def test_translates_line_by_line_keeping_punctuation(spa_eng):
    out = spa_eng.translate(["El gato duerme.", "Hola\nmundo", "¿Dónde está la casa?"], "spa_Latn", "eng_Latn")
    assert out[0] == "The cat sleeps."
    assert "\n" not in out[1] and len(out) == 3
    assert out[2].endswith("?")
    assert spa_eng.fingerprint().startswith("apertium:spa-eng:Apertium ")


def test_wrong_direction_and_unknown_pair(spa_eng):
    with pytest.raises(UserError, match="translates spa_Latn -> eng_Latn, not fra_Latn"):
        spa_eng.translate(["Bonjour"], "fra_Latn", "eng_Latn")
    with pytest.raises(UserError, match="Apertium pair 'xxx-eng' is not installed"):
        load_model("apertium:xxx-eng")
    with pytest.raises(UserError, match="needs a language pair"):
        load_model("apertium")


def test_translations_are_cached(spa_eng, tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c.sqlite")
    tr = Translator(spa_eng, cache)
    first = tr.translate(["La casa es roja.", "La casa es roja.", "Sí."], "spa_Latn", "eng_Latn")
    assert first[0] == first[1] and cache.count() == 2
    monkeypatch.setattr(type(spa_eng), "_run", lambda self, texts: pytest.fail("called apertium again"))
    assert Translator(spa_eng, cache).translate(["Sí.", "La casa es roja."], "spa_Latn", "eng_Latn") == [
        first[2],
        first[0],
    ]


def test_misaligned_output_falls_back_to_one_text_at_a_time(spa_eng, monkeypatch):
    real = subprocess.run

    def lossy(cmd, **kw):
        res = real(cmd, **kw)
        if kw.get("input", "").count("\n") > 1:
            res.stdout = res.stdout.split("\n", 1)[1]  # drop a line, as a buggy pair could
        return res

    monkeypatch.setattr(subprocess, "run", lossy)
    assert spa_eng.translate(["El perro.", "El gato."], "spa_Latn", "eng_Latn") == ["The dog.", "The cat."]
