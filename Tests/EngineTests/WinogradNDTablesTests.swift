@testable import Engine
import Foundation
import Testing

/// `Sources/CKernels/winograd_nd_tables.h` (written by scripts/gen-winograd-nd-tables.py) must hold exactly the
/// matrices `ConvKernels.ToomCook(m:r:)` makes: winograd_nd.c takes its constant-coefficient transforms only on a bit-exact
/// match, so a stale table would silently fall back to the slow generic loop.
@Suite("Winograd ND constant tables")
struct WinogradNDTablesTests {
    /// name -> values of every `static const float K_<name>[...] = {...};` in the header.
    static func tables() throws -> [String: [Float]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CKernels/winograd_nd_tables.h")
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [String: [Float]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("static const float K_") {
            let name = line.dropFirst("static const float K_".count).prefix { $0 != "[" }
            guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
            out[String(name)] = line[line.index(after: open)..<close].split(separator: ",").map { item in
                let s = item.trimmingCharacters(in: .whitespaces)
                return Float(String(s.hasSuffix("f") ? s.dropLast() : s[...])) ?? .nan
            }
        }
        return out
    }

    @Test func tablesEqualTheSwiftMatrices() throws {
        let t = try Self.tables()
        #expect(t.count == 14, "tables in the header: \(t.keys.sorted())")
        for (m, r) in [(4, 5), (2, 5), (2, 7)] {
            let tc = ConvKernels.ToomCook(m: m, r: r)
            for (name, mat) in [("bt", tc.bt), ("at", tc.at), ("g", tc.g), ("gm", tc.gm), ("atr", tc.atr)] {
                // B^T depends only on alpha: m 2, r 7 shares m 4, r 5's.
                let key = name == "bt" && (m, r) == (2, 7) ? "bt_m4_r5" : "\(name)_m\(m)_r\(r)"
                guard let table = t[key] else { Issue.record("no table \(key)"); continue }
                #expect(table.map(\.bitPattern) == mat.map(\.bitPattern), "\(key) differs from ToomCook(m: \(m), r: \(r)).\(name)")
            }
        }
    }
}
