import Foundation
import FuzzSupport
import MedIO

// libFuzzer target for MSD datasets (`MSDDataset.load` + the whole-dataset validator `validate`).
// Input layout: `dataset.json` bytes, then optionally a NUL byte followed by the bytes of
// `labelsTr/fuzz.nii` (the label map of case `imagesTr/fuzz.nii`, a fixed valid 4x4x4 image), so label
// values, shapes and affines reach the validator fuzzed too. Without a NUL, `labelsTr/fuzz.nii` is missing.
// The folder also holds fixed small valid cases (`case_a` .nii.gz, `case_b` 2 channels, a test case with
// labelsTs, a label with the wrong shape, a `._` resource fork) for dataset.json to refer to.
// Loading may throw `MedIOError`; validation must return problems, never crash.

private let root: URL = {
    let r = FuzzSupport.scratch.appendingPathComponent("Task00_Fuzz")
    let fm = FileManager.default
    for sub in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"] {
        try! fm.createDirectory(at: r.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    var g = Geometry(spacing: [0.8, 0.8, 2.5], origin: [-10, 5, 3])
    let image = Volume(shape: [4, 4, 4], data: (0..<64).map { Float($0 * 7 % 23) - 5 }, geometry: g)
    let label = image.with(data: (0..<64).map { Float($0 % 3 == 0 ? 1 : 0) })
    func put(_ v: Volume, _ rel: String, _ dt: NiftiDatatype) { try! Nifti.write(v, to: r.appendingPathComponent(rel).path, datatype: dt) }
    put(image, "imagesTr/case_a.nii.gz", .int16)
    put(label, "labelsTr/case_a.nii.gz", .uint8)
    put(image.with(data: image.data + image.data.map { -$0 }, channels: 2), "imagesTr/case_b.nii", .float32)
    put(label.with(data: label.data.map { $0 * 2 }), "labelsTr/case_b.nii", .uint8)
    put(image, "imagesTs/case_c.nii.gz", .float64)
    put(label, "labelsTs/case_c.nii.gz", .uint8)
    put(image, "imagesTr/case_mis.nii", .int16)
    g.affine[0][3] = 40
    put(Volume(zeros: [3, 4, 4], geometry: g), "labelsTr/case_mis.nii", .uint8)
    put(image, "imagesTr/._case_d.nii.gz", .int16)
    put(image, "imagesTr/fuzz.nii", .int16)
    return r
}()

private let json = root.appendingPathComponent("dataset.json")
private let fuzzLabel = root.appendingPathComponent("labelsTr/fuzz.nii")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMSD(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count)
    let split = bytes.firstIndex(of: 0) ?? count
    FuzzSupport.write(UnsafeRawBufferPointer(rebasing: bytes[0..<split]), to: json)
    if split < count {
        FuzzSupport.write(UnsafeRawBufferPointer(rebasing: bytes[(split + 1)...]), to: fuzzLabel)
    } else {
        try? FileManager.default.removeItem(at: fuzzLabel)
    }
    let ds: MSDDataset
    do {
        ds = try MSDDataset.load(root.path)
    } catch let e as MedIOError {
        FuzzSupport.log("load error: \(e.problem)")
        FuzzSupport.check(!e.problem.isEmpty, "!e.problem.isEmpty")
        return 0
    } catch {
        fatalError("MSDDataset.load threw a non-MedIOError: \(error)")
    }
    FuzzSupport.check(!ds.labels.isEmpty && !ds.modalities.isEmpty, "no labels or no modalities")
    FuzzSupport.check(ds.labels.keys.allSatisfy { (0...Int(Int32.max)).contains($0) }, "label values \(ds.labels.keys.sorted())")
    for c in ds.training + ds.test { FuzzSupport.check(!URL(fileURLWithPath: c.image).lastPathComponent.hasPrefix("._"), "._ file listed as case \(c.image)") }
    let problems = ds.validate()
    for p in problems { FuzzSupport.check(!p.problem.isEmpty, "!p.problem.isEmpty") }
    FuzzSupport.log("\(ds.training.count) training, \(ds.test.count) test cases; \(problems.count) problems"
                    + problems.map { "\n  \(URL(fileURLWithPath: $0.file).lastPathComponent): \($0.problem)" }.joined())
    if problems.isEmpty {
        // A valid dataset: every case must read, and image/label grids agree.
        for c in ds.training + ds.test {
            do {
                let (img, lab) = try ds.read(c)
                FuzzSupport.exercise(img)
                if let lab { FuzzSupport.check(lab.spatialShape == img.spatialShape, "lab.spatialShape == img.spatialShape") }
            } catch {
                fatalError("validate() found no problem but reading \(c.id) failed: \(error)")
            }
        }
    }
    return 0
}
