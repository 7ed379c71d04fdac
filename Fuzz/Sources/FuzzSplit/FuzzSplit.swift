import Foundation
import FuzzSupport
import Training

// libFuzzer target for `split.json` (`--split FILE`, RUN/split.json): `DataSplit.load` must return a split with
// labeled cases and disjoint partitions, or throw one `SplitError` naming the file; a loaded split must survive
// save + load.

private let file = FuzzSupport.scratch.appendingPathComponent("split.json")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSplit(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let s = FuzzSupport.load(start, count, as: file, DataSplit.load, expected: { ($0 as? SplitError)?.description }) else { return 0 }
    let all = s.labeled + s.unlabeled + s.validation + s.test
    FuzzSupport.check(!s.labeled.isEmpty && Set(all).count == all.count, "loaded split: \(s)")
    FuzzSupport.log("split: \(s.labeled.count) labeled, \(all.count) cases")
    FuzzSupport.roundTrip(s, via: again, save: { try $0.save($1) }, load: DataSplit.load)
    return 0
}
