"""The tenant's working calendar, holidays and deadlines."""
