"""The sandbox's behaviour, one module per operation family (named after its operations),
plus :mod:`.lifecycle` (every order transition), :mod:`.clock` and :mod:`.admin`.
No HTTP here and no SQL: requests arrive as :class:`.call.Call`, state lives in ``state``."""
