import functools

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

# The product the navigation marks as the current page, by the URL's app or name.
PRODUCTS = {"codes": "codes", "casepilot": "casepilot", "caseconsultant": "caseconsultant",
            "careercenter": "careercenter"}  # fmt: skip


@functools.cache
def site_footer(year: int) -> SafeString:
    """The footer is the same on every page of a year: rendered once per process."""
    return render_to_string("includes/footer.html", {"copyright_year": year})


@functools.cache
def product_nav(current: str) -> SafeString:
    """The product menu, with `current` marked: rendered once per process and product."""
    return render_to_string("includes/product_nav.html", {"current": current})


def current_product(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return PRODUCTS.get(match.app_name) or PRODUCTS.get(match.url_name or "", "")


def site(request: HttpRequest) -> dict[str, object]:
    """Values the header and footer of every page read. The parts that are the same for every
    visitor are rendered once per process: they were a sixth of a code page's time."""
    year = timezone.now().year
    return {
        "copyright_year": year,
        "site_footer": SimpleLazyObject(lambda: site_footer(year)),
        "product_nav": SimpleLazyObject(lambda: product_nav(current_product(request))),
    }
