"""Writes for blueprints."""

from __future__ import annotations

from django.db import transaction

from core.errors import ApplicationError

from ..models import Blueprint, BlueprintDomainWeight


@transaction.atomic
def blueprint_save(*, blueprint: Blueprint, weights: dict, user=None) -> Blueprint:
    """Save a blueprint and its own domain weights (none means: use the guide's)."""
    if weights and sum(weights.values()) <= 0:
        raise ApplicationError("Domain weights must add up to more than zero.")
    if blueprint.pk is None:
        blueprint.created_by = user
    blueprint.full_clean()
    blueprint.save()
    blueprint.weights.exclude(domain__in=list(weights)).delete()
    for domain, weight in weights.items():
        BlueprintDomainWeight.objects.update_or_create(
            blueprint=blueprint, domain=domain, defaults={"weight": weight}
        )
    return blueprint
