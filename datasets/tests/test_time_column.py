"""A named time column on upload: quarters as R writes them read, a column VUR cannot read as
dates (counters, epoch seconds, years before 1678, text) is refused with nothing saved, and
validation tells unreadable dates apart from missing values and duplicate rows."""

from __future__ import annotations

import pytest

from datasets.tests.test_api import upload

pytestmark = pytest.mark.django_db


def quarters_csv(label) -> bytes:
    """Two states, 12 quarters each, the quarter written by `label(year, quarter)`."""
    rows = [
        f"{label(1998 + q // 4, q % 4 + 1)},{state},{10 + q}"
        for state in ("Tasmania", "Victoria")
        for q in range(12)
    ]
    return ("Date,State,Takings\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(
    "label",
    [
        lambda y, q: f"{y} Q{q}",
        lambda y, q: f"{y} q{q}",
        lambda y, q: f"Q{q} {y}",
        lambda y, q: f"{y}-Q{q}",
    ],
    ids=["1998 Q1", "1998 q1", "Q1 1998", "1998-Q1"],
)
def test_upload_reads_quarters_written_with_a_space(api, label):
    res = upload(api, "aus.csv", quarters_csv(label), time_column="Date")
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["frequency"].startswith("Q")
    assert body["series_info"]["start"].startswith("1998-01-01")
    assert body["series_info"]["id_column"] == "State"
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    assert report["valid"] is True, report
    assert not [w for w in report["warnings"] if "Date" in w or "duplicate" in w]
