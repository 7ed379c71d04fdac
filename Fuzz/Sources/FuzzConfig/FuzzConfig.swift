import Foundation
import FuzzSupport
import Training

// libFuzzer target for experiment configs (`--config FILE`, RUN/config.json): the input is the file's bytes, read by
// `TrainConfig.load` from `config.json` (the JSON path; YAML configs are read by the same decoder after parsing).
// The load must return a config without problems or throw one `ConfigError` listing non-empty problems; a loaded
// config must survive save + load unchanged.

private let file = FuzzSupport.scratch.appendingPathComponent("config.json")
private let again = FuzzSupport.scratch.appendingPathComponent("again.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzSupport.write(UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count), to: file)
    let c: TrainConfig
    do {
        c = try TrainConfig.load(file)
    } catch let e as ConfigError {
        FuzzSupport.log("error: \(e.problems.joined(separator: "; "))")
        FuzzSupport.check(!e.problems.isEmpty && e.problems.allSatisfy { !$0.isEmpty }, "ConfigError without problems")
        return 0
    } catch {
        fatalError("TrainConfig.load threw a non-ConfigError: \(error)")
    }
    FuzzSupport.check(c.problems().isEmpty, "loaded config has problems: \(c.problems())")
    FuzzSupport.log("config: \(c.model) \(c.strategy) epochs \(c.epochs)")
    _ = c.unetConfig(inChannels: 1)
    do {
        try c.save(again)
        let back = try TrainConfig.load(again)
        FuzzSupport.check(back == c, "config changed in save + load")
    } catch {
        fatalError("a loaded config does not survive save + load: \(error)")
    }
    return 0
}
