import Engine
import Foundation

/// `semiseg bench --layers`: the per-op breakdown below the op-family shares (docs/ARCHITECTURE.md §9). The small zoo
/// networks (DeepLab, SegNet, attention gates) spend much of a 10-60 ms step outside the convolutions, so the family
/// "loss & elementwise" alone does not say which op to speed up.
extension Bench {
    /// One line per recorded op (the name given to the tape: `add`, `batch_norm`, `resize`, `max_unpool`, ...): forward
    /// wall seconds (laps since the previous op, so the glue before an op is charged to it), backward-rule wall seconds,
    /// calls and the share of `total`, largest first. Convolution kernels are in the table above and left out here.
    func printOps(_ entries: [Profiler.Entry], total: Double) {
        struct Row { var forward = 0.0, backward = 0.0, calls = 0 }
        var rows: [String: Row] = [:]
        for e in entries where !e.name.hasPrefix("conv.") {
            let isBackward = e.name.hasPrefix("backward.")
            let name = isBackward ? String(e.name.dropFirst("backward.".count)) : e.name
            var r = rows[name] ?? Row()
            if isBackward { r.backward += e.seconds } else { r.forward += e.seconds; r.calls += e.calls }
            rows[name] = r
        }
        print("op                      calls  forward ms  backward ms  share")
        for (name, r) in rows.sorted(by: { $0.value.forward + $0.value.backward > $1.value.forward + $1.value.backward }) {
            print(name.padding(toLength: 22, withPad: " ", startingAt: 0)
                  + String(format: " %6d %11.2f %12.2f  %4.1f%%", r.calls, r.forward * 1e3, r.backward * 1e3,
                           100 * (r.forward + r.backward) / Swift.max(total, 1e-9)))
        }
    }
}
