import pytest

from core.models import WorkerHeartbeat
from core.tasks import worker_heartbeat

pytestmark = pytest.mark.services("postgresql", "redis")


def test_task_goes_through_redis_to_a_worker_process_writing_postgres(celery_worker_process):
    from django.db import connection

    assert connection.vendor == "postgresql"
    result = worker_heartbeat.delay("ci-host")
    assert result.get(timeout=60) == 1
    assert worker_heartbeat.delay("ci-host").get(timeout=60) == 2
    beat = WorkerHeartbeat.objects.get(hostname="ci-host")
    assert beat.beats == 2
    assert "core.tasks.worker_heartbeat" in celery_worker_process.output()
