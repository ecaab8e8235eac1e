"""The jobs in the sitemap (/sitemap.xml): every open job, none expired, closed or removed."""

import datetime

from django.contrib.sitemaps import Sitemap
from django.utils import timezone

from careercenter.models import Job, JobQuerySet


class JobSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> JobQuerySet:
        return Job.objects.live(timezone.now()).only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, item: Job) -> datetime.datetime:
        return item.updated_at
