import FuzzSupport

// SwiftPM renames this executable's main (so libFuzzer's own main is not linked); start libFuzzer's driver.
FuzzSupport.runDriver { data, size in fuzzSafeTensors(UnsafeRawPointer(data), size) }
