import pytest
"""Cleaning CounselChat's scraped text."""
from index.text import clean_text, question_key, sentence_spans, split_sentences, therapist_parts


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
    assert therapist_parts("Sherry Katz, LCSWCouples and Family Therapist, LCSW", url + "sherry-katz-lcsw") == \
        ("Sherry Katz", "LCSW, Couples and Family Therapist, LCSW")
    assert therapist_parts("Marsha MandelMandel Counseling", url + "marsha-mandel") == ("Marsha Mandel", "Mandel Counseling")
    assert therapist_parts("Cristina TreadwayInsight Life Counseling", url + "cristina-treadway-2") == \
        ("Cristina Treadway", "Insight Life Counseling")
    assert therapist_parts("Ingrid d'AquinI am offering new possibilities", url + "ingrid-d-aquin") == \
        ("Ingrid d'Aquin", "I am offering new possibilities")
    assert therapist_parts("Someone Else", "") == ("Someone Else", "")


@pytest.mark.parametrize("info, slug, name, credentials", [
    # the slug starts with a title the info leaves out, and ends with a town it does not show
    ("Jana MorrowFamily Therapist, MSc, RP", "ms-jana-morrow-springfield", "Jana Morrow", "Family Therapist, MSc, RP"),
    # a letter the slug could not spell
    ("Erik Sjöberg, MA, LMHCCounselor", "erik-sj-berg-ma-lmhc", "Erik Sjöberg", "MA, LMHC, Counselor"),
    # the dot of the letters glued to the title line
    ("Dana K. Reyes, Psy. D.Never too late", "dana-k-reyes-psy-d", "Dana K. Reyes", "Psy. D., Never too late"),
    # letters without a comma, or after " | "
    ("Omar Quill M.Ed.LPCA, NCC", "omar-quill-m-ed", "Omar Quill", "M.Ed., LPCA, NCC"),
    ("Rae Tolle LPCPsychotherapist", "rae-tolle-lpc", "Rae Tolle", "LPC, Psychotherapist"),
    ("Noor Hale | Holistic TherapyFor creatives", "noor-hale-holistic-therapy", "Noor Hale", "Holistic Therapy, For creatives"),
    # a name in capitals keeps its words; a name alone has no credentials
    ("DANA R. VOSS", "dana-r-voss", "DANA R. VOSS", ""),
])
def test_name_and_credentials_come_apart(info, slug, name, credentials):
    assert therapist_parts(info, "https://counselchat.com/therapists/" + slug) == (name, credentials)
