from roaming.simulator.runner import main

main()
