import SemiSegCLI

// The `semiseg` executable: the commands live in the SemiSegCLI library (docs/ARCHITECTURE.md §1, §7).
SemiSeg.main()
