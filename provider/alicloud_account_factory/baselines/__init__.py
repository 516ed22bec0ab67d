"""The AccountFactoryBaseline wing: its field table, API calls, item catalog, decisions and their execution."""
