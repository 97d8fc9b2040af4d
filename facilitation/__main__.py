from facilitation.cli import main

raise SystemExit(main())
