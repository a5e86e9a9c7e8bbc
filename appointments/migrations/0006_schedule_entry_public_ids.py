"""Working hours and leave get random public ids (the only ids URLs and payloads carry):
add the column without its constraint, give every existing row its own UUID, then make it
required and unique."""

import uuid

from django.db import migrations, models

_MODELS = ("workinghours", "availabilityexception")


def give_public_ids(apps, schema_editor):
    for model_name in _MODELS:
        model = apps.get_model("appointments", model_name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = uuid.uuid4()
        model.objects.bulk_update(rows, ["public_id"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0005_role_permissions")]

    operations = [
        *[
            migrations.AddField(
                model_name=model_name,
                name="public_id",
                field=models.UUIDField(editable=False, null=True),
            )
            for model_name in _MODELS
        ],
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
        *[
            migrations.AlterField(
                model_name=model_name,
                name="public_id",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
            )
            for model_name in _MODELS
        ],
    ]
