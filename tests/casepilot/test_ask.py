"""Asking CasePilot without JavaScript: the form posts to /casepilot/, the answer is the next
page; what is kept; history, votes and deletion for the asker only; bad input changes nothing."""

import pytest

from casepilot.models import Question, Source
from metering.models import Meter, MeterView, QuestionQuota
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

VERIFY = "Verify with the official guidelines and your payer's policies."


def ask(client, question, code=""):
    return client.post("/casepilot/", {"question": question, "code": code})


def text_of(html: str) -> str:
    """The answer's words, tags taken out."""
    import html as entities
    import re

    start = html.index('class="prose answer-text"')
    return (
        " ".join(
            entities.unescape(
                re.sub(r"<[^>]+>", " ", html[start + 26 : html.index("</div>", start)])
            ).split()
        )
        .replace(" ,", ",")
        .replace(" .", ".")
    )


def test_the_page_offers_a_labelled_form_and_examples(client):
    html = client.get("/casepilot/").content.decode()

    assert '<label for="casepilot-question">Your question</label>' in html
    assert 'action="/casepilot/"' in html
    assert "Can modifier 25 go on 99213?" in html
    assert "Your earlier questions" not in html  # guests keep no history


def test_the_code_page_box_is_a_form_that_posts_here_with_its_code(client):
    html = client.get("/codes/cpt/0439T/").content.decode()
    box = html[html.index('class="casepilot-box"') :]
    box = box[: box.index("</aside>")]

    assert 'action="/casepilot/"' in box
    assert 'name="code" value="cpt/0439T"' in box
    assert '<label for="casepilot-question">Your question about 0439T</label>' in box
    assert 'name="question"' in box


def test_an_add_on_question_names_its_primaries_and_cites_the_code(reader):
    response = ask(reader, "Is 0439T an add-on code, and what do I report it with?", "cpt/0439T")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Yes. CPT® 0439T is an add-on code" in text_of(html)
    for primary in ("93306", "93307", "93308", "93350", "93351"):
        assert (
            f'<a href="/codes/cpt/{primary}/" rel="noopener noreferrer nofollow">{primary}</a>'
            in html
        )
    assert '<li value="1"><a href="/codes/cpt/0439T/">CPT® 0439T</a></li>' in html
    assert text_of(html).endswith(VERIFY)
    assert html.count("Verify with the official guidelines") == 1


def test_a_modifier_question_quotes_the_modifiers_section(reader):
    html = ask(reader, "Can modifier 25 go on 99213?").content.decode()

    assert "significant, separately identifiable E/M" in text_of(html)
    assert 'href="/codes/cpt/99213/#section-4"' in html  # the Modifiers section


def test_a_modifier_our_pages_do_not_discuss_is_said_so(reader):
    html = ask(reader, "Can modifier 78 go on 99213?").content.decode()

    assert "does not mention modifier 78, so our pages do not answer this" in text_of(html)


def test_a_replacement_question_names_the_new_code(reader):
    html = ask(reader, "What replaced 0501T?").content.decode()

    assert "was deleted after December 31, 2023" in text_of(html)
    assert "It was replaced by CPT® 75580 (Coronary FFR estimate" in text_of(html)
    assert '<a href="/codes/cpt/75580/" rel="noopener noreferrer nofollow">75580</a>' in html


def test_a_difference_question_sets_both_codes_side_by_side(reader):
    html = ask(reader, "What's the difference between 93306 and 93307?").content.decode()

    assert "side by side" in html
    assert 'href="/codes/cpt/93306/"' in html
    assert 'href="/codes/cpt/93307/"' in html


def test_a_question_naming_no_code_lists_what_search_finds(reader):
    html = ask(reader, "Which codes cover a laparoscopic gallbladder removal?").content.decode()

    assert "best matches your question" in html
    assert '<a href="/codes/cpt/47562/" rel="noopener noreferrer nofollow">47562</a>' in html


def test_asking_never_uses_or_grants_a_code_page_view(client):
    before = (Meter.objects.count(), MeterView.objects.count())

    html = ask(client, "Is 0439T an add-on code?", "cpt/0439T").content.decode()

    assert "add-on code" in html
    assert (Meter.objects.count(), MeterView.objects.count()) == before
    page = client.get("/codes/cpt/0439T/").content.decode()
    assert 'id="official-heading"' in page  # the guest's one view is still there to use


def test_a_guest_has_one_question_a_period(client):
    assert ask(client, "What replaced 0501T?").status_code == 200

    refused = ask(client, "What replaced 0042T?")

    assert refused.status_code == 403
    assert "Create a free account to ask more" in refused.content.decode()
    assert Question.objects.count() == 1
    assert Question.objects.get().asker is None  # a guest's question is kept unlinked
    assert QuestionQuota.objects.get(product="casepilot", key__startswith="guest:").used == 1


def test_clearing_cookies_mints_no_questions_beyond_the_networks_daily_cap(settings):
    from django.test import Client

    settings.CASEPILOT_GUEST_NETWORK_DAILY = 3

    def fresh_guest(n: int) -> Client:
        # No cookies, and a browser of its own each time: only the address is the same.
        return Client(HTTP_USER_AGENT=f"Mozilla/5.0 Chrome/{120 + n}.0.0.0 Safari/537.36")

    statuses = [ask(fresh_guest(n), f"What replaced 0501T? ({n})").status_code for n in range(5)]

    assert statuses == [200, 200, 200, 403, 403]
    assert Question.objects.count() == 3
    # The refused guests' own allowance was not used either: their charge rolled back.
    assert QuestionQuota.objects.filter(product="casepilot", key__startswith="guest:").count() == 3
    other = Client(REMOTE_ADDR="198.51.100.7")  # another network is not affected
    assert ask(other, "What replaced 0501T?").status_code == 200


def test_a_free_account_has_ten(client, verified_user):
    client.force_login(verified_user)
    statuses = [ask(client, f"What replaced 0501T? ({n})").status_code for n in range(11)]

    assert statuses == [200] * 10 + [403]


@pytest.mark.parametrize(
    ("question", "code", "error"),
    [
        ("", "", "This field is required."),
        ("  ", "", "This field is required."),
        ("x" * 1001, "", "at most 1000 characters"),
        ("Is it an add-on?", "cpt/9999X", "No code “cpt/9999X” to ask about."),
        ("Is it an add-on?", "nonsense", "No code “nonsense” to ask about."),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(client, question, code, error):
    response = ask(client, question, code)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert Question.objects.count() == 0
    assert QuestionQuota.objects.count() == 0


def test_a_question_with_patient_identifiers_is_refused_and_nothing_is_kept(client):
    response = ask(client, "John Smith DOB 03/14/1962, MRN 4455667: can 99213 take modifier 25?")

    html = response.content.decode()
    assert response.status_code == 400
    assert "looks like it holds patient identifiers" in html
    assert "4455667" not in html.split('id="casepilot-errors"')[1].split("</div>")[0]
    assert Question.objects.count() == 0
    assert QuestionQuota.objects.count() == 0


def test_the_rate_limit_per_address_refuses_politely(client, settings):
    from django.test import Client

    settings.RATE_LIMIT_CASEPILOT = "1/m"
    ask(client, "What replaced 0501T?")

    response = ask(client, "What replaced 0501T?")

    assert response.status_code == 429
    assert "several questions in a short time" in response.content.decode()
    # The limit is the address's: a fresh browser from it, without cookies, is refused too.
    assert ask(Client(), "What replaced 0501T?").status_code == 429


def test_wrong_method_is_refused(client):
    assert client.put("/casepilot/").status_code == 405
    assert client.get("/casepilot/stream/").status_code == 405


# History, votes and deletion


@pytest.fixture
def asked(client, verified_user):
    client.force_login(verified_user)
    ask(client, "What replaced 0501T?")
    return Question.objects.get()


def test_a_member_sees_their_history_and_the_answer_again(client, asked):
    index = client.get("/casepilot/").content.decode()
    page = client.get(asked.get_absolute_url())

    assert "Your earlier questions" in index
    assert f'href="{asked.get_absolute_url()}"' in index
    assert page.status_code == 200
    assert "replaced by CPT® 75580" in text_of(page.content.decode())
    assert Source.objects.filter(question=asked, code__identifier="0501T").exists()


def test_someone_elses_answer_is_not_found(client, asked):
    from accounts.models import User

    other = User.objects.create_user("other@example.com", PASSWORD)
    client.force_login(other)

    assert client.get(asked.get_absolute_url()).status_code == 404
    assert client.post(f"/casepilot/answers/{asked.pk}/delete/").status_code == 404
    assert (
        client.post(f"/casepilot/answers/{asked.pk}/vote/", {"vote": "helpful"}).status_code == 404
    )
    client.logout()
    assert client.get(asked.get_absolute_url()).status_code == 404
    assert Question.objects.filter(pk=asked.pk, vote="").exists()


def test_a_member_votes_and_deletes(client, asked):
    client.post(f"/casepilot/answers/{asked.pk}/vote/", {"vote": "not_helpful"})
    asked.refresh_from_db()
    assert asked.vote == "not_helpful"

    bad = client.post(f"/casepilot/answers/{asked.pk}/vote/", {"vote": "meh"})
    asked.refresh_from_db()
    assert bad.status_code == 302 and asked.vote == "not_helpful"

    assert client.get(f"/casepilot/answers/{asked.pk}/delete/").status_code == 405
    client.post(f"/casepilot/answers/{asked.pk}/delete/")
    assert not Question.objects.filter(pk=asked.pk).exists()
    assert not Source.objects.filter(question_id=asked.pk).exists()
