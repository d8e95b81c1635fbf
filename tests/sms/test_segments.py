"""GSM-7 vs UCS-2 segment counting at the boundaries (SPEC §5.12: 160/153, 70/67)."""

import pytest

from tenantapp.sms.segments import count, is_gsm7


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segments_at_their_boundaries(length, segments):
    result = count("a" * length)
    assert result.encoding == "GSM-7"
    assert result.segments == segments


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segments_at_their_boundaries(length, segments):
    text = "é" * 0 + "ж" * length  # Cyrillic is outside GSM-7
    result = count(text)
    assert result.encoding == "UCS-2"
    assert result.segments == segments


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2():
    assert count("a" * 70 + "✓").segments == 2  # 71 UCS-2 units
    assert count("a" * 69 + "✓").segments == 1


def test_extension_characters_take_two_septets():
    assert count("€" * 80).segments == 1  # 160 septets
    assert count("€" * 80 + "a").segments == 2
    assert count("[" * 81).segments == 2


def test_emoji_outside_the_bmp_is_two_ucs2_units():
    assert count("😀" * 35).segments == 1
    assert count("😀" * 35 + "a").segments == 2


def test_gsm7_alphabet_accepts_its_accents_and_refuses_others():
    assert is_gsm7("Café à Zürich? ¿Qué! Ñandù £5 €3 {x}")
    assert not is_gsm7("Sí")  # í is not in the alphabet (è é ù ì ò à are)
    assert not is_gsm7("ç")  # lower-case c-cedilla is not in GSM-7 (only Ç)
    assert not is_gsm7("’")  # a curly apostrophe turns the text into UCS-2
