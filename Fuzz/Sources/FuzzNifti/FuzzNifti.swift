import Foundation
import FuzzSupport
import MedIO

// libFuzzer target for the NIfTI reader (`Nifti.readFile`): the input is a whole file.
//  - input starting with the gzip magic 1f 8b -> written as `fuzz.nii.gz` (corrupt/truncated gzip streams);
//  - input whose length is 3 mod 4        -> gzip-compressed by the harness, written as `fuzz.nii.gz`
//                                             (valid gzip around fuzzed NIfTI bytes);
//  - anything else                          -> written as `fuzz.nii`.
// A read must either throw `MedIOError` (one line, naming the file) or return a volume that passes
// `FuzzSupport.exercise` (statistics, RAS reorientation round trip). Small volumes are also written back
// (float32, NIfTI-1 and -2 alternately) and read again: same shape, same finite values.

private let plain = FuzzSupport.scratch.appendingPathComponent("fuzz.nii")
private let gz = FuzzSupport.scratch.appendingPathComponent("fuzz.nii.gz")
private let out1 = FuzzSupport.scratch.appendingPathComponent("roundtrip.nii")
private let out2 = FuzzSupport.scratch.appendingPathComponent("roundtrip.nii.gz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNifti(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count)
    let url: URL
    if count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
        url = gz
        FuzzSupport.write(bytes, to: gz)
    } else if count % 4 == 3 {
        url = gz
        FuzzSupport.writeGzip(bytes, to: gz)
    } else {
        url = plain
        FuzzSupport.write(bytes, to: plain)
    }
    let file: NiftiFile
    do {
        file = try Nifti.readFile(url.path)
    } catch let e as MedIOError {
        FuzzSupport.log("error: \(e.problem)")
        FuzzSupport.check(e.file == url.path, "error names \(e.file), not \(url.path)")
        FuzzSupport.check(!e.problem.isEmpty && !e.problem.contains("\n"), "problem must be one line: \(e.problem)")
        return 0
    } catch {
        fatalError("Nifti.readFile threw a non-MedIOError: \(error)")
    }
    FuzzSupport.check(file.version == 1 || file.version == 2, "file.version == 1 || file.version == 2")
    if FuzzSupport.verbose {
        let s = file.volume.statistics
        FuzzSupport.log("read NIfTI-\(file.version) \(file.datatype.name) \(file.volume.shape) \(file.volume.orientation.codes) "
                        + "nonfinite \(file.nonFiniteCount) spacing \(file.volume.spacing) affine \(file.volume.affine) "
                        + "codes q\(file.volume.geometry.qformCode) s\(file.volume.geometry.sformCode) "
                        + "min \(s.min) max \(s.max) mean \(s.mean) data \(file.volume.data.prefix(16))")
    }
    FuzzSupport.exercise(file.volume)
    let v = file.volume
    if v.data.count <= 4096 && v.shape.allSatisfy({ $0 <= 32767 }) {
        let target = file.version == 1 ? out1 : out2
        do {
            try Nifti.write(v, to: target.path, datatype: .float32, version: count % 2 + 1)
            let again = try Nifti.readFile(target.path)
            FuzzSupport.check(again.volume.shape == v.shape, "write/read changed shape \(v.shape) -> \(again.volume.shape)")
            let diff = zip(again.volume.data, v.data).enumerated().first { $0.element.1.isFinite && $0.element.0 != $0.element.1 }
            FuzzSupport.check(diff == nil, "write/read changed voxel \(diff?.offset ?? -1): \(diff?.element.1 ?? 0) -> \(diff?.element.0 ?? 0)")
            FuzzSupport.exercise(again.volume)
        } catch {
            fatalError("writing back a volume that was read failed: \(error)")
        }
    }
    return 0
}
