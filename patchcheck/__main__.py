from patchcheck.cli import main

main()
