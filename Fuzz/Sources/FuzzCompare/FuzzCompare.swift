import Experiments
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
    guard let s = FuzzSupport.load(start, count, as: file, CompareSettings.load, expected: { ($0 as? TrainingError)?.description })
    else { return 0 }
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
    FuzzSupport.roundTrip(s, via: again, save: { try $0.save($1) }, load: CompareSettings.load)
    return 0
}
