"""`python -m aimmo_gt` is the `aimmo-gt` command."""

from ._cli import main

raise SystemExit(main())
