from restsync.cli import main

main()
