"""How regions tell higher apps what happened, without importing them."""

from django.dispatch import Signal

# Sent with region=<Region> after staff add a region (forums gives it its standard forums).
region_created = Signal()
