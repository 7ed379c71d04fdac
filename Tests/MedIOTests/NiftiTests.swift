import Foundation
@testable import MedIO
import Testing

@Suite("NIfTI read/write conformance with nibabel")
struct NiftiTests {
    /// Every fixture: nibabel's test images and nibabel-written files of every datatype
    /// (expected values from scripts/reference/nifti_reference.py).
    @Test func matchesNibabel() throws {
        let expected = try Fixtures.expected()
        #expect(expected.count >= 15)
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let f = try Nifti.readFile(Fixtures.nibabelDir.appendingPathComponent(name).path)
            let v = f.volume
            var shape = e["shape"] as? [Int] ?? []
            while shape.count < 3 { shape.append(1) }    // 1D/2D files read as [nx, ny, 1]
            #expect(v.shape == shape, "\(name) shape")
            #expect(f.datatype.name == e["datatype"] as? String, "\(name) datatype")
            #expect(f.version == e["version"] as? Int, "\(name) version")
            let sp = doubles(e["spacing"])
            #expect(zip(v.spacing, sp).allSatisfy { abs($0 - $1) < 1e-6 }, "\(name) spacing \(v.spacing) vs \(sp)")
            let diff = Affine.maxDifference(v.affine, matrix(e["affine"]))
            #expect(diff < 1e-4, "\(name) affine off by \(diff)")
            let s = v.statistics
            let sum = v.data.reduce(0.0) { $0 + Double($1) }
            let eSum = (e["sum"] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(Double(s.min) - ((e["min"] as? NSNumber)?.doubleValue ?? .nan)) < 1e-3, "\(name) min")
            #expect(abs(Double(s.max) - ((e["max"] as? NSNumber)?.doubleValue ?? .nan)) < 1e-3 * max(1, abs(Double(s.max))), "\(name) max")
            #expect(abs(sum - eSum) <= 1e-5 * max(1, abs(eSum)), "\(name) sum \(sum) vs \(eSum)")
            if let values = e["values"] as? [NSNumber] {
                let ref = values.map { Float($0.doubleValue) }
                #expect(ref.count == v.data.count, "\(name) value count")
                #expect(zip(v.data, ref).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(name) values")
            }
        }
    }

    /// A rigid (rotation + zoom) affine, so the qform can hold it exactly too; shears are covered by the fixtures.
    static let affine: [[Double]] = [[0, -1.5, 0, 20], [2, 0, 0, -30], [0, 0, 3, 5], [0, 0, 0, 1]]

    /// Writing then reading every datatype (NIfTI-1 and -2, .nii and .nii.gz) keeps shape, geometry and values;
    /// nibabel reads the same values and affine from the file SemiSeg wrote.
    @Test(arguments: NiftiDatatype.allCases)
    func roundTrip(_ dt: NiftiDatatype) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shape = [5, 4, 3, 2]
        let lo: Float = dt.integerRange.map { Float(max($0.lowerBound, -100)) } ?? -100.25
        let data = (0..<shape.reduce(1, *)).map { i -> Float in
            let v = lo + Float((i * 37) % 200)
            return dt.integerRange == nil ? v + 0.25 : v
        }
        let vol = Volume(shape: shape, data: data, geometry: Geometry(affine: Self.affine))
        for (version, ext) in [(1, ".nii"), (1, ".nii.gz"), (2, ".nii.gz")] {
            let path = dir.appendingPathComponent("v\(version)_\(dt.name)\(ext)").path
            try Nifti.write(vol, to: path, datatype: dt, version: version)
            let back = try Nifti.readFile(path)
            #expect(back.datatype == dt && back.version == version)
            #expect(back.volume.shape == shape)
            #expect(back.volume.data == data, "\(dt) v\(version)\(ext) values")
            #expect(Affine.maxDifference(back.volume.affine, Self.affine) < 1e-5)
            #expect(Affine.maxDifference(back.volume.geometry.qform, Self.affine) < 1e-4, "qform")
            if Fixtures.hasPython {
                let nib = try Fixtures.runPython("scripts/reference/nifti_reference.py", ["describe", path])
                #expect(nib["shape"] as? [Int] == shape)
                #expect(nib["datatype"] as? String == dt.name)
                #expect(Affine.maxDifference(matrix(nib["affine"]), Self.affine) < 1e-5)
                let ref = doubles(nib["values"]).map(Float.init)
                #expect(ref == data, "nibabel reads \(dt) v\(version)\(ext)")
            }
        }
    }

    /// A label map written with a reference image's geometry carries its affine, pixdim and codes.
    @Test func labelCopiesReferenceGeometry() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ref = try Nifti.read(Fixtures.nibabelDir.appendingPathComponent("example4d.nii.gz").path).channel(0)
        let labels = ref.with(data: ref.data.map { $0 > 300 ? 1 : 0 })
        let path = dir.appendingPathComponent("label.nii.gz").path
        try Nifti.write(labels, to: path, datatype: .uint8)
        let back = try Nifti.readFile(path)
        #expect(back.datatype == .uint8)
        #expect(back.volume.geometry.qformCode == ref.geometry.qformCode)
        #expect(back.volume.geometry.sformCode == ref.geometry.sformCode)
        #expect(Affine.maxDifference(back.volume.affine, ref.affine) < 1e-4)
        #expect(Affine.maxDifference(back.volume.geometry.qform, ref.geometry.qform) < 1e-4)
        #expect(zip(back.volume.spacing, ref.spacing).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(back.volume.data == labels.data)
    }

    /// Integer outputs round to nearest and clamp to the type's range.
    @Test func writeClampsAndRounds() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Volume(shape: [4, 1, 1], data: [-3, 0.6, 254.4, 300], geometry: Geometry(spacing: [1, 1, 1]))
        let path = dir.appendingPathComponent("c.nii").path
        try Nifti.write(v, to: path, datatype: .uint8)
        #expect(try Nifti.read(path).data == [0, 1, 254, 255])
    }
}
