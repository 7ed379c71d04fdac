import Engine
import Foundation
import FuzzSupport
import NN

// libFuzzer target for the safetensors reader (checkpoints, `--teacher`, weights from PyTorch): the input is a
// whole file. `SafeTensors.decode` must return contents or throw one `FormatError` naming the problem; decoded
// contents must be consistent (element counts, dtypes), re-encode to a file that decodes to the same tensors
// (bit-identical) and metadata, and the integrity check (`digestStatus`) must give an answer; when it says
// `verified`, a copy with any one byte changed must not verify.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 ? Data(bytes: start!, count: count) : Data()
    let contents: SafeTensors.Contents
    do {
        contents = try SafeTensors.decode(data, name: "fuzz.safetensors")
    } catch let e as SafeTensors.FormatError {
        FuzzSupport.log("error: \(e.problem)")
        FuzzSupport.check(e.file == "fuzz.safetensors" && !e.problem.isEmpty, "error without file or problem: \(e)")
        return 0
    } catch {
        fatalError("SafeTensors.decode threw a non-FormatError: \(error)")
    }
    FuzzSupport.check(Set(contents.tensors.keys) == Set(contents.dtypes.keys), "tensors and dtypes differ in names")
    for (k, t) in contents.tensors {
        FuzzSupport.check(t.shape.allSatisfy { $0 >= 0 } && t.count == t.shape.reduce(1, *), "tensor \(k): shape \(t.shape), count \(t.count)")
    }
    let status = SafeTensors.digestStatus(data, contents: contents)
    FuzzSupport.log("\(contents.tensors.count) tensors, \(contents.metadata.count) metadata keys, digest \(status)")
    if status == .verified {
        var changed = data
        changed[changed.count / 2] ^= 0x01
        if let c = try? SafeTensors.decode(changed) { FuzzSupport.check(SafeTensors.digestStatus(changed, contents: c) != .verified, "a changed byte verified") }
    }
    // Re-encode (F32 as read, I64 as integers) and decode again: the same tensors, bit for bit, and metadata.
    let ints = Set(contents.dtypes.filter { $0.value == .i64 }.map(\.key))
    do {
        let again = try SafeTensors.decode(try SafeTensors.encode(contents.tensors, integerNames: ints, metadata: contents.metadata))
        FuzzSupport.check(again.metadata == contents.metadata, "metadata changed in a round trip")
        for (k, t) in contents.tensors {
            guard let u = again.tensors[k] else { FuzzSupport.check(false, "tensor \(k) lost in a round trip"); continue }
            FuzzSupport.check(u.shape == t.shape && u.scalars.map(\.bitPattern) == t.scalars.map(\.bitPattern), "tensor \(k) changed in a round trip")
        }
    } catch {
        fatalError("re-encoding decoded contents failed: \(error)")
    }
    return 0
}
