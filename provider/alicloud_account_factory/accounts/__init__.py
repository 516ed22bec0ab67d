"""The EnrolledAccount wing: its field table, model, API calls, decision steps and their execution."""
