"""`duto server`: the workspace over HTTP, in three thin layers.

`schemas/` says what goes over the wire (pydantic models, and so the OpenAPI document); `operations/` turns a
request into calls of the facade (`duto.facade`), the same objects the SDK and the CLI use, so there is one copy
of the logic; `routes/` holds one router per resource, each route declaring the token scope it needs. `app.py`
puts them together with authentication, the Host check and the error handlers; `process.py` runs the server.
"""
