import Foundation
import FuzzSupport
import Training

// libFuzzer target for experiment configs (`--config FILE`, RUN/config.json): the input is the file's bytes, read by
// `TrainConfig.load` from `config.json` (the JSON path; YAML configs are read by the same decoder after parsing).
// The load must return a config without problems or throw one `ConfigError` listing problems that name the file; a
// loaded config must survive save + load unchanged.

private let file = FuzzSupport.scratch.appendingPathComponent("config.json")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let c = FuzzSupport.load(start, count, as: file, TrainConfig.load, expected: { e in
        (e as? ConfigError).map { e in e.problems.isEmpty ? "" : e.problems.joined(separator: "; ") }
    }) else { return 0 }
    FuzzSupport.check(c.problems().isEmpty, "loaded config has problems: \(c.problems())")
    FuzzSupport.log("config: \(c.model) \(c.strategy) epochs \(c.epochs)")
    _ = c.unetConfig(inChannels: 1)
    FuzzSupport.roundTrip(c, via: again, save: { try $0.save($1) }, load: TrainConfig.load)
    return 0
}
