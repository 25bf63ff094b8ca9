"""The reviewer console: server-rendered pages (Jinja2) over the API's services, with a little JavaScript."""
