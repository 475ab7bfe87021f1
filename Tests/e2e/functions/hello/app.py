"""The function the lambent CLI scenario deploys: greets and prints a log line."""

GREETING = "hello"


def handler(event, context):
    name = (event or {}).get("name", "world")
    print("lambent-e2e-log-line: greeting %s" % name, flush=True)
    return {"message": "%s, %s" % (GREETING, name)}
