"""A POST whose database goes away after the write but before the response body is read back is
rolled back: a 5xx means "not written" (found by bench/fifty_clients_bench.py, where connection
kills turned committed posts into 500s and the retry then saw 200 instead of 201)."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from metrics.models import Release
from metrics.records.api import serializers

BODY = {
    "external_id": "after-commit",
    "squad": "alpha",
    "version": "1.0",
    "status": "succeeded",
    "released_at": "2026-03-02T10:00:00Z",
}


@pytest.mark.django_db
def test_a_post_failing_while_building_its_response_writes_nothing(users, squad_a, monkeypatch) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(users["admin"])

    def lost(self, instance):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(serializers.ReleaseSerializer, "to_representation", lost)
        response = client.post("/api/releases/", BODY, content_type="application/json")
    assert response.status_code == 500
    assert not Release.objects.filter(external_id="after-commit").exists()
    again = client.post("/api/releases/", BODY, content_type="application/json")  # the client's retry
    assert again.status_code == 201  # created now: the first attempt left nothing behind
    assert Release.objects.filter(external_id="after-commit").count() == 1
