"""The ceiling for the notice benchmark: a job that does nothing, run by the same RQ workers."""


def noop() -> None:
    return None
