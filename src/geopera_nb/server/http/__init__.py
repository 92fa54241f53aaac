"""The sandbox over HTTP: the ASGI app, the operation routes (generated from the contract),
the admin and OIDC endpoints, asset downloads, request bodies and the OpenAPI document.
The only layer that knows starlette."""
