"""A file full of bad rows gives a bounded report: the first errors and a count (issue 15,
defect 7). 3.2M bad lines once meant 3.2M error objects held and printed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
HEADER = "external_id,squad,version,released_at,first_commit_at,status"


def test_the_error_list_is_bounded_with_a_count_of_the_rest(tmp_path, squad_a):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + "".join(f"r{n},alpha,1,not-a-date,,succeeded\n" for n in range(5000)))
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_records", "releases", str(path), stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 2: released_at:")
    assert len(lines) <= 101
    assert "5000 error(s)" in str(raised.value)
    assert "4900 more" in err.getvalue() or "4900 more" in str(raised.value)
