"""`python -m worker`: one worker process (see worker.main.main)."""

from worker.main import main

raise SystemExit(main())
