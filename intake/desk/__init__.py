"""The secretariat's web desk: a small server-rendered application (Starlette, Jinja2, uvicorn) over
the same database and the same case operations as the command line, for staff who do not use a shell.
"""
