"""bench.settings (production's) with the password hasher list taken from the environment.

Only bench/login_cost.py uses it, to serve the same log-in page with the hasher of before
(PBKDF2 first) or MD5 (the floor: a log-in with no hashing cost) beside production's list.
"""

from bench.settings import *  # noqa: F403
from bench.settings import env

_hashers = env.list("LOGIN_COST_HASHERS", default=[])
if _hashers:
    PASSWORD_HASHERS = _hashers
