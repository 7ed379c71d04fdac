import Foundation
import FuzzSupport
import Training

// libFuzzer target for `split.json` (`--split FILE`, RUN/split.json): `DataSplit.load` must return a split with
// labeled cases and disjoint partitions, or throw one `SplitError`; a loaded split must survive save + load.

private let file = FuzzSupport.scratch.appendingPathComponent("split.json")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSplit(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzSupport.write(UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count), to: file)
    let s: DataSplit
    do {
        s = try DataSplit.load(file)
    } catch let e as SplitError {
        FuzzSupport.log("error: \(e.description)")
        FuzzSupport.check(e.description.hasPrefix(file.path + ": "), "SplitError not naming the file: \(e)")
        return 0
    } catch {
        fatalError("DataSplit.load threw a non-SplitError: \(error)")
    }
    let all = s.labeled + s.unlabeled + s.validation + s.test
    FuzzSupport.check(!s.labeled.isEmpty && Set(all).count == all.count, "loaded split: \(s)")
    FuzzSupport.log("split: \(s.labeled.count) labeled, \(all.count) cases")
    do {
        try s.save(again)
        let back = try DataSplit.load(again)
        FuzzSupport.check(back == s, "split changed in save + load")
    } catch {
        fatalError("a loaded split does not survive save + load: \(error)")
    }
    return 0
}
