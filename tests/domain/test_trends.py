"""A service's trend across its CPR cycles (domain.trends), from cycle, review and dispute states."""

from __future__ import annotations

from datetime import date

from domain.grade_of_record import decisions
from domain.rubric import Grade
from domain.trends import by_service, cycle_trend, trend_in_words
from tests.domain.test_findings import CYCLE, REVIEWS, _decided


def test_each_service_lists_its_cycles_oldest_first_with_the_grades_of_record():
    first = cycle_trend("cpr-2027-11-01-children-in-need", CYCLE, REVIEWS, {})
    later = CYCLE.model_copy(update={"start": date(2028, 5, 1)})
    decided = decisions([("r3-dispute-1", _decided("r3", Grade.good))])
    second = cycle_trend("cpr-2028-05-01-children-in-need", later, REVIEWS, decided)
    other = cycle_trend("cpr-2027-12-01-care-leavers", CYCLE.model_copy(update={"service": "Care Leavers"}), {}, {})
    (leavers, cin) = by_service([("Children in Need", second), ("Care Leavers", other), ("Children in Need", first)])
    assert (leavers.service, cin.service) == ("Care Leavers", "Children in Need")
    assert [c.cycle_id for c in cin.cycles] == ["cpr-2027-11-01-children-in-need", "cpr-2028-05-01-children-in-need"]
    # LCS-2 moderated down to Requires Improvement in both; LCS-3's Inadequate decided up to Good in the second.
    assert first.grades == {"Outstanding": 0, "Good": 1, "Requires Improvement": 1, "Inadequate": 1}
    assert second.grades == {"Outstanding": 0, "Good": 2, "Requires Improvement": 1, "Inadequate": 0}
    assert (first.share(Grade.outstanding, Grade.good), second.share(Grade.good)) == (1 / 3, 2 / 3)
    assert [(x.criterion_id, x.reviews) for x in first.limited] == [
        ("assessment.2", 3),
        ("planning-and-review.1", 2),
        ("basic-information.1", 1),
    ]
    assert (first.reviews_on_time, first.reviews_late, first.moderated, first.agreed) == (2, 1, 2, 1)
    words = trend_in_words(cin)
    assert words[1].startswith(
        "2028-05-01 cpr-2028-05-01-children-in-need: 2 Good, 1 Requires Improvement (67% good or better);"
        " most often limited: assessment.2 (3), planning-and-review.1 (2), basic-information.1 (1);"
    )
