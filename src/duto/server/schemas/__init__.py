"""What goes over the wire: request and response bodies, as pydantic models the OpenAPI document is made from."""
