"""Micro-batched encoding in the real service: the same answers as encoding each worry alone."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from retriever.service import SearchService

WORRIES = ["i cry in every session with my counselor", "can't fall asleep at night", "my dog died last week",
           "caffeine makes me anxious", "is it normal to feel nothing", "therapy", "grief", "sleep"]


def ranked_ids(outcome):
    return [r.answer.answer_id for r in outcome.ranking.results]


def test_concurrent_batched_searches_rank_like_searches_encoded_alone(small_service):
    batched = SearchService(small_service.embedder, small_service.index, encode_batch_max=8)
    try:
        with ThreadPoolExecutor(max_workers=len(WORRIES)) as pool:
            together = list(pool.map(lambda w: batched.search(w, 5), WORRIES * 3))
    finally:
        batched.close()
    for worry, outcome in zip(WORRIES * 3, together):
        alone = small_service.search(worry, 5)
        assert ranked_ids(outcome) == ranked_ids(alone)
        assert np.allclose([r.score for r in outcome.ranking.results], [r.score for r in alone.ranking.results],
                           atol=1e-5)
        assert outcome.safety.crisis == alone.safety.crisis
