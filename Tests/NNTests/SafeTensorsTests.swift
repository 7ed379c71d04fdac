import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    @Suite("SafeTensors")
    struct SafeTensorsTests {
        @Test func roundTripsF32AndI64WithMetadata() throws {
            let a = Tensor([1, -2.5, 3e-8, .infinity], shape: [2, 2])
            let n = Tensor(scalar: 7)
            let data = try SafeTensors.encode(["a": a, "n": n, "empty": Tensor(zeros: [0, 3])], integerNames: ["n"], metadata: ["k": "v"])
            let headerLen = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
            #expect((8 + headerLen) % 8 == 0)
            let c = try SafeTensors.decode(data)
            #expect(c.tensors["a"]?.scalars == a.scalars && c.tensors["a"]?.shape == [2, 2])
            #expect(c.tensors["n"]?.shape == [] && c.tensors["n"]?.item == 7 && c.dtypes["n"] == .i64)
            #expect(c.tensors["empty"]?.shape == [0, 3])
            #expect(c.metadata == ["k": "v"])
        }

        @Test func readsAFileWrittenByPyTorch() throws {
            // Fixture from scripts/reference/nn_reference.py (safetensors.torch.save_file).
            let c = try SafeTensors.read(contentsOf: Fixtures.url("unet3d_parity.safetensors"))
            #expect(c.tensors["input"]?.shape == [1, 1, 16, 32, 32])
            #expect(c.tensors["after.inc.b.1.num_batches_tracked"]?.item == 1)
            #expect(c.metadata["producer"] == "scripts/reference/nn_reference.py")
        }

        func problem(_ data: Data) -> String {
            do { _ = try SafeTensors.decode(data, name: "x.safetensors"); return "no error" } catch let e as SafeTensors.FormatError {
                #expect(e.file == "x.safetensors")
                return e.problem
            } catch { return "other error \(error)" }
        }

        func file(_ header: String, dataBytes: Int) -> Data {
            var d = Data()
            var len = UInt64(header.utf8.count).littleEndian
            withUnsafeBytes(of: &len) { d.append(contentsOf: $0) }
            d.append(contentsOf: Array(header.utf8))
            d.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
            return d
        }

        @Test func malformedFilesThrowNamedErrors() throws {
            #expect(problem(Data([1, 2, 3])).hasPrefix("truncated"))
            #expect(problem(file("{}", dataBytes: 0).prefix(9)).hasPrefix("truncated"))
            #expect(problem(file("{not json", dataBytes: 0)).hasPrefix("bad header JSON"))
            #expect(problem(file(#"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, dataBytes: 2)).contains("unsupported dtype F16"))
            #expect(problem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4)).contains("out of range"))
            #expect(problem(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8)).contains("expected 12"))
            #expect(problem(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, dataBytes: 0)).contains("shape"))
            #expect(problem(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, dataBytes: 4)).contains("out of range"))
            do {
                _ = try SafeTensors.read(contentsOf: URL(fileURLWithPath: "/nonexistent/w.safetensors"))
                Issue.record("expected an error")
            } catch let e as SafeTensors.FormatError {
                #expect(e.file == "/nonexistent/w.safetensors" && e.problem.hasPrefix("cannot read"))
            }
        }
    }
}
