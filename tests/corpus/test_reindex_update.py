"""The real update the project must handle: the 2020 index brought up to the 2022 snapshot with
--incremental embeds only the new and changed answers (and new questions), nothing else."""
import shutil

import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.layout import current_version_dir, switch_current, versions_dir
from index.loader import load_index, text_hash
from tests.conftest import REAL_CSV_2022


@pytest.fixture
def index_2020_copy(tmp_path, real_index_dir):
    """A private copy of the 2020 index's current version (the prebuilt one is read-only)."""
    source = current_version_dir(real_index_dir)
    copy = versions_dir(tmp_path / "index") / source.name
    shutil.copytree(source, copy)
    switch_current(tmp_path / "index", copy)
    return tmp_path / "index"


def test_2020_to_2022_embeds_only_new_and_changed_answers(index_2020_copy, real_embedder):
    if not REAL_CSV_2022.is_file():
        pytest.skip(f"2022 snapshot not found at {REAL_CSV_2022}")
    before = load_index(index_2020_copy)
    corpus_2022 = load_corpus(REAL_CSV_2022)
    assert corpus_2022.empty_answers > 0  # the 2022 quirk: empty answers are skipped, not indexed

    report = build_index(corpus_2022, real_embedder, index_2020_copy, model_name=before.manifest.model,
                         passage_tokens=before.manifest.passage_tokens, incremental=True)
    after = load_index(index_2020_copy)
    assert report.full_rebuild_reason is None and after.manifest.version == report.version

    old_text = {a.answer_id: a.answer for a in before.answers}
    new_or_changed = {a.answer_id for a in after.answers if old_text.get(a.answer_id) != a.answer}
    assert report.added == len(set(after.answer_by_id) - set(old_text)) > 500  # ~770 new answers in 2022
    assert report.removed == len(set(old_text) - set(after.answer_by_id))
    # Every passage embedded belongs to a new or changed answer, and is a text the 2020 index lacked
    old_passages = {text_hash(p.text) for p in before.passages}
    fresh = {text_hash(p.text) for p in after.passages if text_hash(p.text) not in old_passages}
    assert report.embedded == len(fresh) > 0
    assert fresh <= {text_hash(p.text) for a in new_or_changed for p in after.passages_by_answer[a]}
    assert report.embedded < len(after.passages) / 2
    old_questions = {text_hash(q.embedding_text) for q in before.questions}
    assert report.embedded_questions == len({text_hash(q.embedding_text) for q in after.questions} - old_questions)
    assert report.embedded_questions >= len(set(after.question_by_id) - set(before.question_by_id)) > 100
    print(f"\n2020 -> 2022: {report.to_dict()}")
