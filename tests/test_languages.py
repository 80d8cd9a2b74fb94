import pytest

from xling.errors import UserError
from xling.languages.codes import canonical, name, name_in, script


@pytest.mark.parametrize(
    "code,expected",
    [
        ("de", "deu_Latn"),
        ("deu", "deu_Latn"),
        ("zh-CN", "zho_Hans"),
        ("zh", "zho_Hans"),
        ("zh-TW", "zho_Hant"),
        ("jp", "jpn_Jpan"),
        ("ja", "jpn_Jpan"),
        ("zho_Hans", "zho_Hans"),
        ("ar", "arb_Arab"),
        ("sw", "swh_Latn"),
        ("swh", "swh_Latn"),
        ("ne", "npi_Deva"),
        ("ko", "kor_Hang"),
        ("am", "amh_Ethi"),
        ("yo", "yor_Latn"),
        ("el", "ell_Grek"),
        ("pt-BR", "por_Latn"),
        ("sr-Latn", "srp_Latn"),
        ("hi", "hin_Deva"),
        ("th", "tha_Thai"),
        (" en ", "eng_Latn"),
        ("EN", "eng_Latn"),
        ("tl", "tgl_Latn"),
    ],
)
def test_canonical(code, expected):
    assert canonical(code) == expected


@pytest.mark.parametrize("bad", ["", "  ", "xx-yy-zz-qq", "notalanguage"])
def test_unknown_codes_are_user_errors(bad):
    with pytest.raises(UserError):
        canonical(bad)


def test_names_and_scripts():
    assert name("swh_Latn") == "Swahili"
    assert name("npi_Deva") == "Nepali"
    assert script("amh_Ethi") == "Ethi"


def test_output_language_of_one_generation():
    from xling.languages.identify import output_language

    sw = output_language("Habari ya asubuhi, rafiki yangu. Leo ni siku nzuri sana.", "swh_Latn")
    assert sw["detected"] == "swh" and sw["wrong_language"] is False and sw["expected"] == "swh"
    en = output_language("Good morning my friend, today is a very nice day.", "sw")
    assert en["detected"] == "eng" and en["wrong_language"] is True
    short = output_language("42 km", "swh_Latn")  # too short to judge: never counted as wrong
    assert short["wrong_language"] is None and short["detected"] is None


def test_a_language_s_name_in_a_prompt_language_follows_the_prompt_s_script():
    assert name_in("srp_Latn", "srp_Latn") == "srpski" and name_in("srp_Cyrl", "srp_Cyrl") == "српски"
    assert name_in("deu_Latn", "deu_Latn") == "Deutsch"
    # CLDR has no Latin-script Arabic names: the English name, not Arabic script in a Latin prompt
    assert name_in("arb_Arab", "arb_Latn") == "Standard Arabic"
