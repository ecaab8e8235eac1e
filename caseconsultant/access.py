"""Who may do what in CaseConsultant, in one place: consultants are the accounts holding this
app's desk permission (the Consultants group gives it); a thread opens only for its asker and
consultants, and answers 404 to everyone else, signed in or not."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from caseconsultant.models import PUBLISH, WORK_DESK, Question

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser


def is_consultant(user: "AbstractUser | AnonymousUser") -> bool:
    return user.is_authenticated and user.has_perm(f"caseconsultant.{WORK_DESK}")


def can_publish(user: "AbstractUser | AnonymousUser") -> bool:
    return user.is_authenticated and user.has_perm(f"caseconsultant.{PUBLISH}")


def consultants() -> QuerySet[Any]:
    """Active accounts holding the desk permission through a group or of their own (superusers
    are not mailed every question unless they are in the group)."""
    held = Q(
        groups__permissions__codename=WORK_DESK,
        groups__permissions__content_type__app_label="caseconsultant",
    ) | Q(
        user_permissions__codename=WORK_DESK,
        user_permissions__content_type__app_label="caseconsultant",
    )
    return get_user_model().objects.filter(held, is_active=True).distinct().order_by("email")


def question_or_404(request: HttpRequest, tracking: str, *, for_thread: bool = True) -> Question:
    """The question `tracking` if the request's user may open it; Http404 otherwise, exactly as
    for a number that does not exist."""
    questions = Question.objects.visible_to(request.user)
    if for_thread:
        questions = questions.for_thread()
    question = questions.filter(tracking=tracking).first()
    if question is None:
        raise Http404("No such question.")
    return question
