from django.http import HttpRequest
from django.utils import timezone


def site(request: HttpRequest) -> dict[str, object]:
    """Values the header and footer of every page read."""
    return {"copyright_year": timezone.now().year}
