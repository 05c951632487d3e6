"""Every region's three forums, the national forums and the programme-wide tags.

New regions get their forums from forums.services.create_region_forums (called when staff add a
region); this migration does the same for the regions that exist already.
"""

from django.db import migrations

REGION_FORUMS = [
    ("algemeen", "Algemeen", "Alles over samenwerken in deze regio.", "members", False),
    ("verslagen", "Verslagen", "Verslagen met geleerde lessen, door de regioreporters.",
     "public", True),
    ("vragen-en-antwoorden", "Vragen en antwoorden",
     "Stel je vraag aan collega's en markeer het antwoord dat hielp.", "public", False),
]
NATIONAL_FORUMS = [
    ("werkplaats-breed", "Werkplaats breed",
     "Voor alle deelnemers van de Werkplaats, over de regio's heen.", "members", False),
    ("aankondigingen", "Aankondigingen",
     "Nieuws van het programmateam: bijeenkomsten, publicaties en oproepen.", "public", True),
]
PROGRAMME_TAGS = [
    ("succesfactor", "succesfactor"), ("belemmering", "belemmering"), ("lessen", "lessen"),
    ("veenweide", "veenweide"), ("bodem-en-water", "bodem en water"), ("stikstof", "stikstof"),
    ("veedichte-gebieden", "veedichte gebieden"), ("samenwerking", "samenwerking"),
]


def create(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    Forum = apps.get_model("forums", "Forum")
    Tag = apps.get_model("forums", "Tag")
    for region in Region.objects.all():
        for position, (slug, name, description, visibility, is_reports) in enumerate(
            REGION_FORUMS
        ):
            Forum.objects.get_or_create(
                region=region, slug=slug,
                defaults={"name": name, "description": description, "visibility": visibility,
                          "is_reports": is_reports, "position": position},
            )
    for position, (slug, name, description, visibility, staff_only) in enumerate(
        NATIONAL_FORUMS
    ):
        Forum.objects.get_or_create(
            region=None, slug=slug,
            defaults={"name": name, "description": description, "visibility": visibility,
                      "staff_only_threads": staff_only, "position": position},
        )
    for slug, name in PROGRAMME_TAGS:
        Tag.objects.get_or_create(region=None, slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("forums", "0001_initial"), ("regions", "0002_load_regions")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
