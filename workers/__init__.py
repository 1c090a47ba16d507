"""Background work on RQ: declared queues, the job wrapper, and in-process running without Redis."""
