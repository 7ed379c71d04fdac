import Foundation
@testable import MedIO
import Testing

/// Replays every input in `Fuzz/regressions/` the way the libFuzzer harnesses (Fuzz/Sources) run it, and checks
/// each one's specific outcome: a clean `MedIOError` (one line, naming the file) or a volume that passes the
/// harness's checks. `crash-*`/`leak-*` inputs were found by `scripts/fuzz.sh`; `review-*` inputs by reading the
/// code (written by `Fuzz/make-corpus.py --review-regressions`). Fuzz/regressions/README.md lists each one.
@Suite("Fuzz regressions: found inputs read cleanly or fail with one clear error")
struct FuzzRegressionTests {
    static let regressions = Fixtures.repoRoot.appendingPathComponent("Fuzz/regressions")

    static func inputs(_ target: String) throws -> [URL] {
        let dir = regressions.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0) }
    }

    /// What the NIfTI harness checks on every volume it reads (FuzzSupport.exercise).
    static func checkInvariants(_ v: Volume, _ name: String) {
        #expect(v.shape.count == 3 || v.shape.count == 4, "\(name)")
        #expect(v.data.count == v.shape.reduce(1, *), "\(name)")
        #expect(v.spacing.allSatisfy { $0.isFinite && $0 > 0 }, "\(name) spacing \(v.spacing)")
        #expect(v.affine.allSatisfy { $0.allSatisfy(\.isFinite) }, "\(name) affine \(v.affine)")
        let (ras, original) = v.reorientedToRAS()
        #expect(Set(original.axes) == [0, 1, 2], "\(name) orientation \(original)")
        let back = ras.restoringOrientation(original)
        #expect(back.shape == v.shape && back.data == v.data, "\(name): RAS round trip changed the volume")
    }

    enum Outcome { case reads((NiftiFile) throws -> Void), fails(String) }

    /// The expected outcome of each NIfTI regression input (every file in Fuzz/regressions/nifti must be listed).
    static let niftiExpected: [String: Outcome] = [
        // libnifti's reader took the voxels of roundtrip.nii when asked for roundtrip.nii.gz (see siblingFiles).
        "crash-libnifti-sibling-data-428b3bac": .reads { f in
            #expect(f.version == 2 && f.datatype == .uint8 && f.volume.shape == [3, 2, 2])
            #expect(Array(f.volume.data.prefix(4)) == [0, 7, 3, 10])
        },
        // qform_code 49188 (a NIfTI-2 int32) made libnifti write a NIfTI-2 .hdr/.img pair when asked for NIfTI-1.
        "crash-writer-qform-code-5545a1ff": .reads { f in
            #expect(f.version == 2 && f.volume.geometry.qformCode == 49188)
            let dir = try Fixtures.tempDir("fuzzreg")
            defer { try? FileManager.default.removeItem(at: dir) }
            for name in ["back.nii", "back.nii.gz"] {
                let path = dir.appendingPathComponent(name).path
                try Nifti.write(f.volume, to: path, datatype: .float32, version: 1)
                let again = try Nifti.readFile(path)
                #expect(again.version == 1 && again.volume.geometry.qformCode == 32767, "\(name)")
                #expect(again.volume.data == f.volume.data, "\(name)")
            }
        },
        // Foundation's FileManager.contents(atPath:) leaked 4 KiB per read (LeakSanitizer); the file itself is valid.
        "leak-foundation-contents-460823e3": .reads { f in
            #expect(f.volume.shape == [5, 1, 1] && f.datatype == .uint8)
        },
        // Magic "n+2X": SemiSeg checked 3 bytes, libnifti 4, and printed "bad version" on stderr.
        "stderr-libnifti-bad-version.nii": .fails("wrong magic \"n+2X\", expected \"n+2\""),
        // sform with a NaN: Orientation picked world axis 0 three times -> Volume precondition crash. Now the
        // sform counts as absent and the (LPS) qform is used.
        "review-nan-sform.nii": .reads { f in
            #expect(f.volume.geometry.sformCode == 0 && f.volume.geometry.qformCode == 1)
            #expect(f.volume.orientation.codes == "LPS")
        },
        // Invertible but sheared sform: the greedy axis choice left column 2 without a free world axis -> crash.
        "review-sheared-sform.nii": .reads { f in
            #expect(f.volume.geometry.sformCode == 1)
            #expect(f.volume.affine[0][1] == 1 && f.volume.affine[1][0] == 1)
        },
        // All-zero sform with sform_code 1 and no qform: singular, so the pixdim affine is used.
        "review-zero-sform.nii": .reads { f in
            #expect(f.volume.geometry.sformCode == 0 && f.volume.geometry.qformCode == 0)
            #expect(f.volume.affine == Geometry.pixdimAffine(shape: [3, 2, 2], zooms: f.volume.spacing))
        },
    ]

    @Test func niftiRegressionsReplayAsTheHarnessRunsThem() throws {
        let files = try Self.inputs("nifti")
        #expect(files.count >= 7)
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        for file in files {
            let name = file.lastPathComponent
            guard let outcome = Self.niftiExpected[name] else {
                Issue.record("\(name): no expected outcome listed in FuzzRegressionTests.niftiExpected")
                continue
            }
            // The harness: gzip magic -> .nii.gz as is; length 3 mod 4 -> gzip-compressed .nii.gz; else .nii.
            var bytes = try Data(contentsOf: file)
            let count = bytes.count
            var target = dir.appendingPathComponent("fuzz.nii")
            if count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
                target = dir.appendingPathComponent("fuzz.nii.gz")
            } else if count % 4 == 3 {
                bytes = try NiftiCheckTests.gzip(bytes, in: dir)
                target = dir.appendingPathComponent("fuzz.nii.gz")
            }
            try bytes.write(to: target)
            switch outcome {
            case .reads(let check):
                let f: NiftiFile
                do { f = try Nifti.readFile(target.path) } catch {
                    Issue.record("\(name): expected to read, got \(error)")
                    continue
                }
                Self.checkInvariants(f.volume, name)
                try check(f)
                // The harness writes every small volume back (float32, NIfTI-1/-2 by length) and reads it again.
                let back = dir.appendingPathComponent(f.version == 1 ? "roundtrip.nii" : "roundtrip.nii.gz").path
                try Nifti.write(f.volume, to: back, datatype: .float32, version: count % 2 + 1)
                let again = try Nifti.readFile(back)
                #expect(again.volume.shape == f.volume.shape && again.volume.data == f.volume.data, "\(name) write/read")
                Self.checkInvariants(again.volume, name + " (written back)")
            case .fails(let words):
                do {
                    _ = try Nifti.readFile(target.path)
                    Issue.record("\(name): read succeeded, expected an error with \"\(words)\"")
                } catch let e as MedIOError {
                    #expect(e.file == target.path && e.problem.contains(words) && !e.problem.contains("\n"), "\(name): \(e)")
                }
            }
        }
    }

    /// The MSD harness's folder: fixed small cases plus `imagesTr/fuzz.nii` (a valid 4x4x4 image).
    static func msdFolder(_ dir: URL) throws -> URL {
        let r = dir.appendingPathComponent("Task00_Fuzz")
        for sub in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"] {
            try FileManager.default.createDirectory(at: r.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        var g = Geometry(spacing: [0.8, 0.8, 2.5], origin: [-10, 5, 3])
        let image = Volume(shape: [4, 4, 4], data: (0..<64).map { Float($0 * 7 % 23) - 5 }, geometry: g)
        let label = image.with(data: (0..<64).map { Float($0 % 3 == 0 ? 1 : 0) })
        func put(_ v: Volume, _ rel: String, _ dt: NiftiDatatype) throws {
            try Nifti.write(v, to: r.appendingPathComponent(rel).path, datatype: dt)
        }
        try put(image, "imagesTr/case_a.nii.gz", .int16)
        try put(label, "labelsTr/case_a.nii.gz", .uint8)
        try put(image.with(data: image.data + image.data.map { -$0 }, channels: 2), "imagesTr/case_b.nii", .float32)
        try put(label.with(data: label.data.map { $0 * 2 }), "labelsTr/case_b.nii", .uint8)
        try put(image, "imagesTs/case_c.nii.gz", .float64)
        try put(label, "labelsTs/case_c.nii.gz", .uint8)
        try put(image, "imagesTr/case_mis.nii", .int16)
        g.affine[0][3] = 40
        try put(Volume(zeros: [3, 4, 4], geometry: g), "labelsTr/case_mis.nii", .uint8)
        try put(image, "imagesTr/._case_d.nii.gz", .int16)
        try put(image, "imagesTr/fuzz.nii", .int16)
        return r
    }

    enum MSDOutcome { case problems([String]), loadFails(String) }

    /// Expected outcome of each MSD regression input (problem substrings in order); every file must be listed.
    static let msdExpected: [String: MSDOutcome] = [
        // A float32 label map holding a value beyond Int's range: Int(v) trapped in the validator.
        "crash-label-int-overflow-beb6550d": .problems(["no such file", "2 voxels are not integer label values"]),
        // Foundation's FileManager.contents(atPath:) leaked 4 KiB reading dataset.json (LeakSanitizer).
        "leak-foundation-contents-0eef33ad": .problems(["no such file"]),
        // Device and folder paths in dataset.json: refused before any read (a FIFO or device could block).
        "review-device-paths": .problems(["not a regular file", "no such file", "is a directory"]),
        // A label value of 1e30 (float32): Int(1e30) trapped.
        "review-huge-label-value": .problems(["1 voxels are not integer label values"]),
        // {"organ": 1.5, "lesion": 1e300}: NSNumber.intValue made them 1 and Int.min.
        "review-label-value-not-integer": .loadFails("is not an integer in 0...2147483647"),
    ]

    @Test func msdRegressionsReplayAsTheHarnessRunsThem() throws {
        let files = try Self.inputs("msd")
        #expect(files.count >= 5)
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Self.msdFolder(dir)
        for file in files {
            let name = file.lastPathComponent
            guard let expected = Self.msdExpected[name] else {
                Issue.record("\(name): no expected outcome listed in FuzzRegressionTests.msdExpected")
                continue
            }
            // The harness: dataset.json up to the first NUL; the rest (if any) is labelsTr/fuzz.nii.
            let bytes = try Data(contentsOf: file)
            let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
            try bytes[bytes.startIndex..<split].write(to: root.appendingPathComponent("dataset.json"))
            let label = root.appendingPathComponent("labelsTr/fuzz.nii")
            if split < bytes.endIndex { try bytes[(split + 1)...].write(to: label) } else { try? FileManager.default.removeItem(at: label) }
            switch expected {
            case .problems(let words):
                let problems = try MSDDataset.load(root.path).validate().map(\.problem)
                #expect(problems.count == words.count, "\(name): \(problems)")
                for (p, w) in zip(problems, words) { #expect(p.contains(w), "\(name): \(p)") }
            case .loadFails(let words):
                do {
                    _ = try MSDDataset.load(root.path)
                    Issue.record("\(name): load succeeded, expected an error with \"\(words)\"")
                } catch let e as MedIOError {
                    #expect(e.problem.contains(words) && e.file.hasSuffix("dataset.json"), "\(name): \(e)")
                }
            }
        }
    }

    /// Fuzzer finding: with `x.nii` and `x.nii.gz` in one folder, libnifti read `x.nii.gz`'s header but
    /// `x.nii`'s voxels. Each file must give its own values.
    @Test func siblingNiiAndNiiGzEachReadTheirOwnVoxels() throws {
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(spacing: [1, 1, 1])
        let plain = Volume(shape: [3, 2, 2], data: (0..<12).map { Float($0) }, geometry: g)
        let packed = Volume(shape: [3, 2, 2], data: (0..<12).map { Float(100 + $0) }, geometry: g)
        try Nifti.write(plain, to: dir.appendingPathComponent("x.nii").path, datatype: .int16)
        try Nifti.write(packed, to: dir.appendingPathComponent("x.nii.gz").path, datatype: .int16)
        #expect(try Nifti.read(dir.appendingPathComponent("x.nii.gz").path).data == packed.data)
        #expect(try Nifti.read(dir.appendingPathComponent("x.nii").path).data == plain.data)
    }

    /// A FIFO named like a NIfTI file is refused at once (reading it would block until a writer appears).
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe.nii").path
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: MedIOError(path, "not a regular file")) { try Nifti.read(path) }
        #expect(throws: MedIOError("/dev/zero", "not a regular file")) { try Nifti.read("/dev/zero") }
    }

    /// More voxels than `NiftiCheck.maxVoxels` is refused from the header alone, before anything is allocated.
    @Test func tooManyVoxelsRefusedFromTheHeader() throws {
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try NiftiCheckTests.validBytes(in: dir)
        for (offset, dim) in [(42, Int16(32767)), (44, 32767), (46, 32767)] {
            bytes = NiftiCheckTests.patch(bytes, at: offset, NiftiCheckTests.le16(dim))
        }
        let path = dir.appendingPathComponent("huge.nii").path
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: MedIOError(path, "dims [32767, 32767, 32767] exceed \(NiftiCheck.maxVoxels) voxels")) {
            try Nifti.read(path)
        }
    }

    /// The reader streams a .nii.gz: data after the declared voxels (here 4 MiB of zeros) is read through and
    /// ignored, and NaN/Inf counting and decoding work across 1 MiB chunk boundaries.
    @Test func streamingAcrossChunks() throws {
        let dir = try Fixtures.tempDir("fuzzreg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 600 * 1000  // 2.4 MB of float32: spans three 1 MiB chunks, with elements split at the seams
        var data = (0..<n).map { Float($0 % 1000) - 500 }
        data[262_143] = .nan; data[262_144] = .infinity; data[524_287] = -.infinity
        let v = Volume(shape: [100, 60, 100], data: data, geometry: Geometry(spacing: [1, 1, 1]))
        let path = dir.appendingPathComponent("big.nii").path
        try Nifti.write(v, to: path, datatype: .float32)
        var raw = try Data(contentsOf: URL(fileURLWithPath: path))
        raw.append(Data(count: 4 << 20))
        let gz = try NiftiCheckTests.gzip(raw, in: dir)
        for (name, bytes) in [("big-trailing.nii", raw), ("big-trailing.nii.gz", gz)] {
            let p = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: p))
            let f = try Nifti.readFile(p)
            #expect(f.nonFiniteCount == 3, "\(name)")
            var expected = data
            expected[262_143] = 0; expected[262_144] = 0; expected[524_287] = 0
            #expect(f.volume.data == expected, "\(name)")
        }
    }
}
