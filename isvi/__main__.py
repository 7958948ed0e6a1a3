from isvi.cli import main

raise SystemExit(main())
