from tagger.entry import main

main()
