"""Load the regions confirmed from public records (regions/data/regions.json).

Staff complete the programme's full set, rename and archive regions in the admin; this only
adds the regions that are missing, so re-running it never overwrites their edits.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.json"


def load_regions(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    for position, item in enumerate(json.loads(DATA.read_text(encoding="utf-8"))):
        Region.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "provinces": item.get("provinces") or [],
                "theme": item.get("theme") or "",
                "category": item.get("ibp_category") or "",
                "source": item.get("source") or "",
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
