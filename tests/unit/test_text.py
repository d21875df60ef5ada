"""Cleaning CounselChat's scraped text."""
from index.text import clean_text, question_key, sentence_spans, split_sentences, therapist_name


def test_glued_sentences_get_their_space_back():
    assert clean_text("find new people to hang out with.Seriously, the context") == \
        "find new people to hang out with. Seriously, the context"
    assert clean_text("Really?Yes!Then we talk.") == "Really? Yes! Then we talk."
    assert clean_text('he said "stop."Then he left') == 'he said "stop." Then he left'


def test_urls_emails_and_abbreviations_are_not_split():
    assert clean_text("see www.example.com/Help.Page or https://x.org/A.B") == \
        "see www.example.com/Help.Page or https://x.org/A.B"
    assert clean_text("in the U.S.A. today") == "in the U.S.A. today"


def test_non_breaking_and_repeated_spaces_are_normalised_and_paragraphs_kept():
    assert clean_text("a\u00a0b\u2009 c  \t d") == "a b c d"
    assert clean_text("  first para \n\n\n\n second para  ") == "first para\n\nsecond para"
    assert clean_text("line\r\nbreak") == "line\nbreak"


def test_sentences_are_split_with_offsets_into_the_text():
    text = clean_text("One thing.Two things! Three?\nFour")
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["One thing.", "Two things!", "Three?", "Four"]
    assert split_sentences("  ") == []


def test_question_key_is_the_last_path_segment():
    assert question_key("https://counselchat.com/questions/is-it-normal-to-cry-at-therapy") == \
        "is-it-normal-to-cry-at-therapy"
    assert question_key("https://counselchat.com/questions/abc/?x=1") == "abc"


def test_therapist_name_is_cut_from_the_glued_info_by_the_profile_slug():
    url = "https://counselchat.com/therapists/"
    assert therapist_name("Sherry Katz, LCSWCouples and Family Therapist, LCSW", url + "sherry-katz-lcsw") == \
        "Sherry Katz, LCSW"
    assert therapist_name("Marsha MandelMandel Counseling", url + "marsha-mandel") == "Marsha Mandel"
    assert therapist_name("Cristina TreadwayInsight Life Counseling", url + "cristina-treadway-2") == \
        "Cristina Treadway"
    assert therapist_name("Ingrid d'AquinI am offering new possibilities", url + "ingrid-d-aquin") == "Ingrid d'Aquin"
    assert therapist_name("Someone Else", "") == "Someone Else"
