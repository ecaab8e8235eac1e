"""The OpenAI-compatible engine, against a real local HTTP server speaking chat completions:
what it is sent, streamed and not, and the fall back to the default engine on any failure."""

import pytest

from casepilot.engines import FALLBACK_NOTE, SYSTEM_INSTRUCTIONS
from casepilot.models import Question
from tests.casepilot.conftest import ndjson

pytestmark = pytest.mark.django_db

QUESTION = "Is 0439T an add-on code, and what do I report it with?"


def test_the_form_sends_numbered_passages_and_fixed_instructions(reader, chat_server):
    html = reader.post("/casepilot/", {"question": QUESTION, "code": "cpt/0439T"}).content.decode()

    (request,) = chat_server.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert body["model"] == "test-model"
    assert not body.get("stream")
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_INSTRUCTIONS}
    assert user["content"].startswith("Passages:\n\n[1] CPT® 0439T\n")
    assert "Primary codes: CPT® 93306" in user["content"]  # the structured facts
    assert "[2] CPT® 0439T: descriptions" in user["content"]  # premium reads the descriptions
    assert user["content"].endswith(f"Question: {QUESTION}")
    stored = Question.objects.get()
    assert stored.engine == "llm" and stored.model == "test-model"
    assert '<a href="/codes/cpt/93306/" rel="noopener noreferrer nofollow">93306</a>' in html
    assert '<li value="1"><a href="/codes/cpt/0439T/">CPT® 0439T</a></li>' in html


def test_the_stream_sends_text_then_the_sanitized_answer(reader, chat_server):
    chat_server.reply = "0439T is an add-on [1]. <script>alert(1)</script> Report with 93306 [1]."

    response = reader.post("/casepilot/stream/", {"question": QUESTION, "code": "cpt/0439T"})

    events = ndjson(response)
    assert response["Content-Type"] == "application/x-ndjson"
    assert chat_server.requests[0]["body"]["stream"] is True
    texts = [e["text"] for e in events if e["type"] == "text"]
    assert len(texts) > 3  # written piece by piece
    assert "".join(texts) == chat_server.reply  # plain text: the page puts it in a text node
    done = events[-1]
    assert done["type"] == "done"
    assert "<script" not in done["html"]
    assert 'href="/codes/cpt/93306/"' in done["html"]
    assert 'href="/codes/cpt/0439T/"' in done["html"]


@pytest.mark.parametrize("path", ["/casepilot/", "/casepilot/stream/"])
def test_a_server_error_falls_back_to_the_default_answer_with_a_note(reader, chat_server, path):
    chat_server.status = 500

    response = reader.post(path, {"question": QUESTION, "code": "cpt/0439T"})

    text = str(ndjson(response)) if response.streaming else response.content.decode()
    assert "is an add-on code" in text
    assert "so this answer was composed directly from" in text
    stored = Question.objects.get()
    assert stored.engine == "fallback"
    assert stored.note == FALLBACK_NOTE
    assert len(chat_server.requests) == 1  # retries are bounded (CASEPILOT_MAX_RETRIES=0)


def test_a_slow_server_times_out_and_falls_back(reader, chat_server, settings):
    settings.CASEPILOT_TIMEOUT = 0.5
    chat_server.delay = 2

    html = reader.post("/casepilot/", {"question": QUESTION, "code": "cpt/0439T"}).content.decode()

    assert "so this answer was composed directly from" in html
    assert Question.objects.get().engine == "fallback"


@pytest.mark.parametrize("keep_alive", [False, True], ids=["silent", "pinging"])
def test_a_stream_that_stalls_after_its_first_chunk_falls_back(
    reader, chat_server, settings, keep_alive
):
    # Headers and a first piece arrive at once; then nothing (or only keep-alive comments,
    # which reset each read's timeout) for longer than CASEPILOT_TIMEOUT allows the answer.
    settings.CASEPILOT_TIMEOUT = 0.5
    chat_server.stall = 5
    chat_server.keep_alive = keep_alive

    response = reader.post("/casepilot/stream/", {"question": QUESTION, "code": "cpt/0439T"})

    events = ndjson(response)
    texts = [e["text"] for e in events if e["type"] == "text"]
    assert texts[0] == "0439T"  # the model's first piece was written,
    assert "is an add-on code: it is reported in addition to" in "".join(texts)  # then restarted
    done = events[-1]
    assert done["type"] == "done"
    assert "so this answer was composed directly from" in str(done)
    stored = Question.objects.get()
    assert stored.engine == "fallback"
    assert stored.note == FALLBACK_NOTE
    assert len(chat_server.requests) == 1
    # The answer was complete while the server was still stalling: CASEPILOT_TIMEOUT bounds the
    # whole answer, even when keep-alive comments keep every single read alive.
    assert not chat_server.stall_over.is_set()


@pytest.mark.parametrize("path", ["/casepilot/", "/casepilot/stream/"])
def test_a_failing_server_is_retried_as_configured_then_falls_back(
    reader, chat_server, settings, path
):
    settings.CASEPILOT_MAX_RETRIES = 1
    chat_server.status = 500

    response = reader.post(path, {"question": QUESTION, "code": "cpt/0439T"})

    text = str(ndjson(response)) if response.streaming else response.content.decode()
    assert len(chat_server.requests) == 2  # the request and one retry, no more
    assert "is an add-on code" in text
    assert "so this answer was composed directly from" in text
    assert Question.objects.get().engine == "fallback"


def test_an_answer_citing_no_passage_falls_back(reader, chat_server):
    chat_server.reply = "Sure, here is everything I know about cardiology."

    reader.post("/casepilot/", {"question": QUESTION, "code": "cpt/0439T"})

    assert Question.objects.get().engine == "fallback"


def test_an_identifier_the_model_invents_is_removed_and_never_shown(reader, chat_server):
    chat_server.reply = (
        "Report 0439T with 93306 [1]. Some payers also want 0999T or E11.99 [1]; see "
        "[this](https://elsewhere.test/x) page."
    )

    html = reader.post("/casepilot/", {"question": QUESTION, "code": "cpt/0439T"}).content.decode()

    answer = Question.objects.get().answer_markdown
    for invented in ("0999T", "E11.99"):
        assert invented not in html
        assert invented not in answer
    assert "elsewhere.test" not in html
    assert "was not found in CodeAhead's code sets and has been removed" in answer
    assert "[0439T](/codes/cpt/0439T/)" in answer


def test_a_question_with_patient_identifiers_sends_nothing_and_keeps_nothing(client, chat_server):
    for path in ("/casepilot/", "/casepilot/stream/"):
        response = client.post(
            path, {"question": "Patient Mary Jones, phone 555-123-4567: is 0439T an add-on?"}
        )
        assert response.status_code == 400
        assert "patient identifiers" in response.content.decode()

    assert chat_server.requests == []
    assert Question.objects.count() == 0


def test_the_model_engine_and_its_client_are_kept_while_the_settings_stay(chat_server, settings):
    from casepilot.engines import ChatEngine, current_engine

    first = current_engine()
    assert isinstance(first, ChatEngine)
    assert current_engine() is first  # one client, one connection pool, per process

    settings.CASEPILOT_MODEL = "another-model"
    second = current_engine()

    assert isinstance(second, ChatEngine) and second is not first
    assert second.model == "another-model"
    assert first.client.is_closed()  # the one made from the earlier settings is closed
