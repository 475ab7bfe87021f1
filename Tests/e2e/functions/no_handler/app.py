"""Imports fine but has no `handler`: the runtime must report Runtime.HandlerNotFound."""


def something_else(event, context):
    return "not the configured handler"
