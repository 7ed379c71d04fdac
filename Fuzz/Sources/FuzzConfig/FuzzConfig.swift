import Foundation
import FuzzSupport
import Training

// libFuzzer target for experiment configs (`--config FILE`, RUN/config.json): the input is the file's bytes, read by
// `TrainConfig.load` as `config.json` when it starts with `{`, else as `config.yaml` (Yams), so both paths are fuzzed.
// The load must return a config without problems or throw one `ConfigError` listing problems that name the file; a
// loaded config must survive save (JSON) + load unchanged.

private let json = FuzzSupport.scratch.appendingPathComponent("config.json")
private let yaml = FuzzSupport.scratch.appendingPathComponent("config.yaml")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let file = count > 0 && start!.load(as: UInt8.self) == UInt8(ascii: "{") ? json : yaml
    guard let c = FuzzSupport.load(start, count, as: file, { try TrainConfig.load($0) }, expected: { e in
        (e as? ConfigError).map { e in e.problems.isEmpty ? "" : e.problems.joined(separator: "; ") }
    }) else { return 0 }
    FuzzSupport.check(c.problems().isEmpty, "loaded config has problems: \(c.problems())")
    FuzzSupport.log("config: \(c.model) \(c.strategy) epochs \(c.epochs)")
    _ = c.unetConfig(inChannels: 1)
    FuzzSupport.roundTrip(c, via: again, save: { try $0.save($1) }, load: { try TrainConfig.load($0) })
    return 0
}
