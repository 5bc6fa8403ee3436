"""The assignee becomes a generic reference (kind + id + name; events.assignees): the property company's
foreign key is copied into `assignee_id` and dropped, so events holds no foreign key to another app's
model. Area kinds keep `assignee_area` and get its id in `assignee_id` too."""

from django.db import migrations, models
from django.db.models import F

PROPERTY = "property"


def forwards(apps, schema_editor):
    for name in ("Event", "DispatchRule"):
        model = apps.get_model("events", name)
        model.objects.filter(assignee_kind=PROPERTY).update(assignee_id=F("assignee_company_id"))
        model.objects.exclude(assignee_kind=PROPERTY).filter(assignee_area__isnull=False).update(
            assignee_id=F("assignee_area_id")
        )


def backwards(apps, schema_editor):
    for name in ("Event", "DispatchRule"):
        model = apps.get_model("events", name)
        model.objects.filter(assignee_kind=PROPERTY).update(assignee_company_id=F("assignee_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_path_collation"),
        ("property", "0001_initial"),  # the foreign key being dropped points there
    ]

    operations = [
        migrations.AddField(
            model_name="dispatchrule",
            name="assignee_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="承办对象编号"),
        ),
        migrations.AddField(
            model_name="event",
            name="assignee_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="承办对象编号"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveIndex(model_name="event", name="event_company_state_idx"),
        migrations.RemoveField(model_name="dispatchrule", name="assignee_company"),
        migrations.RemoveField(model_name="event", name="assignee_company"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["assignee_kind", "assignee_id", "state"], name="event_assignee_state_idx"),
        ),
    ]
