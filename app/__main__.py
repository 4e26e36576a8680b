"""`python -m app` — start Bundlecast."""

from app.main import main

raise SystemExit(main())
