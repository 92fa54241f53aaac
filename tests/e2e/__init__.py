"""Real-browser tests: JupyterLab + headless Chromium (a package, so the servers of
``conftest.py`` are package-scoped and stop when the e2e tests are done)."""
