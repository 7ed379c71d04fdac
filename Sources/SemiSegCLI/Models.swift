import ArgumentParser
import Foundation
import NN
import Training

/// `semiseg models`: the networks `--model` can name (`NetworkRegistry`), with their ranks, parameter counts at the
/// default width (`--base`, 1 input channel, 2 classes) and options (docs/ARCHITECTURE.md §7).
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered networks (--model NAME).")

    @Flag(help: "One JSON line per network: {\"name\", \"dims\", \"params\" (3D, or 2D when only 2D), \"params_2d\", \"base\", \"aliases\", \"options\", \"summary\"}.")
    var json = false

    func run() throws {
        let d = TrainConfig(data: "", out: "")
        for e in NetworkRegistry.entries {
            func params(_ dims: Int) -> Int? {
                guard e.dims.contains(dims) else { return nil }
                let spec = NetworkSpec(name: e.name, dims: dims, classes: d.classes, base: d.base, depth: d.depth)
                return NetworkRegistry.problems(spec).isEmpty ? NetworkRegistry.build(spec).parameterCount : nil
            }
            let p3 = params(3), p2 = params(2)
            if json {
                let obj: [String: Any] = ["name": e.name, "dims": e.dims, "params": p3 ?? p2 ?? 0, "params_2d": p2 ?? NSNull(), "base": d.base,
                                          "aliases": e.aliases.keys.sorted(), "options": e.options, "summary": e.summary]
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let dims = e.dims.map { "\($0)D" }.joined(separator: "/")
                let counts = [p2.map { "2D \($0)" }, p3.map { "3D \($0)" }].compactMap { $0 }.joined(separator: ", ")
                print("\(e.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(dims.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                      + "\(e.summary) [params at base \(d.base): \(counts)]")
                for (k, v) in e.options.sorted(by: { $0.key < $1.key }) { print("    --model-opt \(k)=...  \(v)") }
            }
        }
    }
}
