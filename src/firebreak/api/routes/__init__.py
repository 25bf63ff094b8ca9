"""The API's routers, one module per resource, all under ``/v1`` except health, metrics and the schema."""
