"""The password hasher: Argon2id with the OWASP Password Storage Cheat Sheet's parameters.

Why these numbers: the OWASP Password Storage Cheat Sheet (as of 2025) says "use Argon2id with
a minimum configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of
parallelism" (m=19456 KiB, t=2, p=1; its other rows, such as 46 MiB with t=1 or 12 MiB with
t=3, give the same defence). Django's stock `Argon2PasswordHasher` is also Argon2id but uses
100 MiB and 8 lanes: about ten times the CPU per log-in (bench/RESULTS.md, "Log-in cost") and
100 MiB per concurrent log-in, which a class of 1,000 students logging in at 9:00 on a 2-core
server cannot afford. One lane (p=1) because a web server already runs several log-ins at once;
more lanes only make one log-in finish sooner while taking the same CPU from the others.

The algorithm name stays "argon2", so the stored hashes are the standard PHC strings that
Django's own hasher also verifies, and a hash made with other parameters (Django's defaults, or
these after a future change) is verified from the parameters it carries and then rehashed with
these on the next successful log-in (`must_update`).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's minimum configuration for Argon2id)."""

    memory_cost = 19 * 1024  # KiB: 19 MiB
    time_cost = 2
    parallelism = 1
