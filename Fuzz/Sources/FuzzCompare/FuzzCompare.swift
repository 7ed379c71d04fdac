import Foundation
import FuzzSupport
import Training

// libFuzzer target for `compare.json` (the settings of a comparison folder, read on every re-run and by `figures` /
// `export-notebook`): `CompareSettings.load` must return settings or throw one `TrainingError` naming the file;
// loaded settings must give a problem list (never trap), cell configs and names, no differences with themselves,
// and survive save + load.

private let file = FuzzSupport.scratch.appendingPathComponent("compare.json")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCompare(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzSupport.write(UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count), to: file)
    let s: CompareSettings
    do {
        s = try CompareSettings.load(file)
    } catch let e as TrainingError {
        FuzzSupport.log("error: \(e.description)")
        FuzzSupport.check(e.description.hasPrefix(file.path + ": "), "TrainingError not naming the file: \(e)")
        return 0
    } catch {
        fatalError("CompareSettings.load threw a non-TrainingError: \(error)")
    }
    let problems = s.problems(knownStrategies: ["supervised", "uda", "mean-teacher"])
    FuzzSupport.log("compare: \(s.strategies.count) strategies, \(s.seeds.count) seeds, \(problems.count) problems")
    if problems.isEmpty {
        for seed in s.seeds {
            for st in s.strategies {
                let c = s.cellConfig(strategy: st, seed: seed)
                FuzzSupport.check(c.seed == seed && c.strategy == st, "cell config of \(st) seed \(seed)")
                FuzzSupport.check(!CompareSettings.cellName(strategy: st, seed: seed).contains("/"), "cell name with a slash")
            }
        }
    }
    FuzzSupport.check(Comparison.differences(s, s).isEmpty, "settings differ from themselves")
    do {
        try s.save(again)
        let back = try CompareSettings.load(again)
        FuzzSupport.check(back == s, "settings changed in save + load")
    } catch {
        fatalError("loaded settings do not survive save + load: \(error)")
    }
    return 0
}
