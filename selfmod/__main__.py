from selfmod.cli import main

main()
