from chmgraph.cli import main

main()
