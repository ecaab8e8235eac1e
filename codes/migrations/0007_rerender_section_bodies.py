"""Section bodies are rendered when saved; the renderer now writes a table's empty corner as a
plain cell, so bodies saved before are rendered again."""

from django.db import migrations


def rerender(apps, schema_editor):
    from common.markup import render_markdown

    ContentSection = apps.get_model("codes", "ContentSection")
    changed = []
    for section in ContentSection.objects.only("pk", "body_markdown", "body_html").iterator():
        html = render_markdown(section.body_markdown)
        if html != section.body_html:
            section.body_html = html
            changed.append(section)
    ContentSection.objects.bulk_update(changed, ["body_html"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("codes", "0006_consultant_qa_kind")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
