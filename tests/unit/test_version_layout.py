"""An index version on disk (catalog, tables, postings, four stores) ranks exactly as the same index
held in memory; a version written before the catalog still loads and ranks the same; the sublinear
candidate path ranks as the full scan (retriever/exact.py) on the golden synthetic index."""
import json

import numpy as np
import pytest

from index.backends import VectorBackend
from index.builder import write_version
from index.catalog import CATALOG_FILE
from index.layout import Manifest, current_version_dir, switch_current
from index.loader import ANSWERS_FILE, PASSAGES_FILE, QUESTION_VIEWS_FILE, load_index
from retriever.exact import FullScanExtractor
from retriever.ranking import Ranker, RankingConfig
from tests.unit.test_ranking_golden import fixed_model, synthetic_index, unit

QUERIES = [("worry about sleep and my boss", None, None), ("grief after my dog died", ["grief-and-loss"], None),
           ("crying in therapy", None, 1), ("money anger sister", ["anxiety", "family-conflict"], 2),
           ("panic school", None, None)]
CONFIG = dict(question_candidates=5, passage_candidates=10, lexical_candidates=4)


def rankings(index, extractor=None, fusions=("weighted", "rrf", "learned")) -> dict:
    vectors = unit(np.random.default_rng(11), len(QUERIES))
    out = {}
    for fusion in fusions:
        config = RankingConfig(fusion=fusion, **CONFIG)
        ranker = Ranker(index, config, fixed_model() if fusion == "learned" else None,
                        extractor=extractor(index, config.counts) if extractor else None)
        for (text, topics, per_question), vector in zip(QUERIES, vectors):
            for only in (None, np.array([0, 3, 4, 7])):
                ranking = ranker.rank(text, vector, 6, topics, per_question=per_question, only_questions=only)
                out[f"{fusion} | {text} | {topics} | {per_question} | {only is not None}"] = (
                    [(r.answer, r.score, r.confidence, r.highlight, r.highlight_score, r.signals) for r in ranking.results],
                    ranking.low_confidence, ranking.candidates)
    return out


def vectors_of(index) -> dict[str, np.ndarray]:
    ids = [q.vector_id for q in index.questions]
    return {"passages": index.passage_store.get_vectors([p.passage_id for p in index.passages]),
            "questions": index.question_store.get_vectors(ids),
            "question_title": index.view_stores["title"].get_vectors(ids),
            "question_body": index.view_stores["body"].get_vectors(ids)}


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    memory = synthetic_index()
    directory = tmp_path_factory.mktemp("golden-version")
    final = write_version(directory, list(memory.answers), list(memory.passages), list(memory.questions),
                          vectors_of(memory), model_name="synthetic", dimension=memory.manifest.dimension,
                          normalized=True, corpus_sha256="-", passage_tokens=8, taggers=[], embedding_backend="-",
                          vector_backend=VectorBackend())
    switch_current(directory, final)
    return memory, directory


def test_a_version_on_disk_ranks_exactly_as_the_same_index_in_memory(on_disk):
    memory, directory = on_disk
    index = load_index(directory)
    assert CATALOG_FILE in index.manifest.files and len(index.manifest.files) > 20
    assert not (current_version_dir(directory) / ANSWERS_FILE).exists()
    assert rankings(index) == rankings(memory)


def test_the_sublinear_candidates_rank_as_the_full_scan(on_disk):
    memory, directory = on_disk
    index = load_index(directory)
    assert rankings(index, FullScanExtractor).keys() == rankings(index).keys()
    for key, (results, low, _) in rankings(index, FullScanExtractor).items():
        got, got_low, _ = rankings(index)[key]
        assert [r[0].answer_id for r in got] == [r[0].answer_id for r in results], key
        np.testing.assert_allclose([r[1] for r in got], [r[1] for r in results], atol=1e-5)
        assert [r[3] for r in got] == [r[3] for r in results] and got_low == low


def test_a_version_written_before_the_catalog_still_loads_and_ranks_the_same(on_disk, tmp_path):
    memory, _ = on_disk
    folder = tmp_path / "old-version"
    folder.mkdir()
    with open(folder / ANSWERS_FILE, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(a.to_dict()) + "\n" for a in memory.answers)
    with open(folder / PASSAGES_FILE, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(p.__dict__) + "\n" for p in memory.passages)
    np.save(folder / QUESTION_VIEWS_FILE, memory.question_views)
    files = [ANSWERS_FILE, PASSAGES_FILE, QUESTION_VIEWS_FILE]
    files += memory.passage_store.save(folder, "passages") + memory.question_store.save(folder, "questions")
    from index.layout import sha256_of

    manifest = Manifest(**{**memory.manifest.__dict__, "files": {name: sha256_of(folder / name) for name in files}})
    manifest.write(folder)
    old = load_index(folder)
    assert old.view_stores is not None and len(old.answers) == len(memory.answers)
    assert rankings(old) == rankings(memory)


def test_records_are_read_from_the_catalog_when_asked_for(on_disk):
    memory, directory = on_disk
    index = load_index(directory)
    assert list(index.answers) == list(memory.answers) and index.answers[-1] == memory.answers[-1]
    assert index.answers[2:4] == memory.answers[2:4]
    first = memory.answers[0]
    assert index.answer_by_id[first.answer_id] == first and index.answer_by_id.get("nope") is None
    assert "nope" not in index.answer_by_id and first.answer_id in index.answer_by_id
    assert index.question_by_id[first.question_id] == memory.questions[0]
    assert index.passages_by_answer[first.answer_id] == [p for p in memory.passages if p.answer_id == first.answer_id]
    passage = memory.passages[3]
    assert index.passage_by_vector[passage.passage_id] == passage
    assert index.topics == memory.topics
    np.testing.assert_array_equal(index.question_views, memory.question_views)
    with pytest.raises(KeyError):
        index.question_by_id["nope"]
