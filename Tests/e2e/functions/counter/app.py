"""Counts invocations per execution environment.

ENV_ID is drawn once when the module is imported (once per environment), so two
invocations that report the same ENV_ID ran in the same warm environment. The
optional event key "sleep" keeps the environment busy that many seconds.
"""

import time
import uuid

ENV_ID = str(uuid.uuid4())
CODE_VERSION = "v1"
COUNT = 0


def handler(event, context):
    global COUNT
    COUNT += 1
    seconds = float((event or {}).get("sleep", 0))
    if seconds:
        time.sleep(seconds)
    return {"env_id": ENV_ID, "count": COUNT, "code_version": CODE_VERSION, "slept": seconds}
