"""Operations: health check, database outages, request log."""

import logging

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_reports_an_unreachable_database(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("codeahead.views.connection.cursor", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "15"


def test_pages_answer_503_with_retry_after_while_the_database_is_down(monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr("codes.models.CodeQuerySet.for_code_page", unreachable)
    client = Client(raise_request_exception=False)

    response = client.get("/codes/cpt/0439T/")

    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert b"back in a moment" in response.content


def test_other_errors_still_answer_500(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("codes.models.CodeQuerySet.for_code_page", broken)
    client = Client(raise_request_exception=False)

    response = client.get("/codes/cpt/0439T/")

    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_every_request_is_logged_with_its_timing_and_without_the_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="codeahead.requests"):
        client.get("/search/", {"q": "private words"})

    record = caplog.records[-1]
    assert record.getMessage().startswith("GET /search/ 200 ")
    assert "private" not in record.getMessage()
    assert record.duration_ms >= 0
