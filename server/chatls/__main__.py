from chatls.cli import main

raise SystemExit(main())
