from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .health import broker_status, database_status, worker_status


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    db_ok, db_detail = database_status()
    broker_ok, broker_detail = broker_status()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": {"ok": db_ok, "detail": db_detail},
            "broker": {"ok": broker_ok, "detail": broker_detail},
            "worker": worker_status() if db_ok else None,
        },
        status=200 if healthy else 503,
    )


def bench_floor(request):
    """Benchmark floor: the cheapest logged-in write (one row), to compare autosave against."""
    from django.conf import settings
    from django.http import Http404
    from django.utils import timezone

    from accounts.models import User

    if not settings.BENCH_ENDPOINTS or request.method != "POST":
        raise Http404
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False}, status=403)
    User.objects.filter(pk=request.user.pk).update(last_login=timezone.now())
    return JsonResponse({"ok": True})
