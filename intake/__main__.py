from intake.quick import main

main()
