from infoplane.cli import main

raise SystemExit(main())
