"""The Atom feed of new jobs, /careers/feed/: the newest open jobs, as the list shows them."""

import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from careercenter.models import Job

FEED_SIZE = 50


class JobFeed(Feed):
    feed_type = Atom1Feed
    title = "CodeAhead CareerCenter: new jobs"
    subtitle = "Jobs for medical coders, billers and auditors."

    def link(self) -> str:
        return reverse("careercenter:list")

    def items(self) -> list[Job]:
        return list(Job.objects.live(timezone.now()).for_list()[:FEED_SIZE])

    def item_title(self, item: Job) -> str:
        return f"{item.title} — {item.organization}"

    def item_description(self, item: Job) -> str:
        return f"{item.location} · {item.get_employment_type_display()} · {item.pay_text}"

    def item_link(self, item: Job) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Job) -> datetime.datetime | None:
        return item.published_at

    def item_author_name(self, item: Job) -> str:
        return item.organization
