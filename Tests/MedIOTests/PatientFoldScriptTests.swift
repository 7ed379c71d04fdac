import Foundation
@testable import MedIO
import Testing

/// scripts/patient-fold.sh: a patient-level fold of an MSD dataset of slices (one patient's slices as the test set).
@Suite("Patient-level folds (scripts/patient-fold.sh)")
struct PatientFoldScriptTests {
    let fm = FileManager.default

    /// An MSD dataset of 2D phantom slices renamed as three patients: pa_0..2, pb_3..5 (training), pc_6, pc_7 (test).
    func makeDataset(_ dir: URL) throws -> String {
        let root = dir.appendingPathComponent("slices").path
        try SyntheticDataset.write(to: root, kind: .spleen, dims: 2, cases: 6, testCases: 2, seed: 3, shape: [16, 16, 1])
        func patient(_ i: Int) -> String { i < 3 ? "pa" : i < 6 ? "pb" : "pc" }
        for i in 0..<8 {
            let split = i < 6 ? "Tr" : "Ts"
            for kind in ["images", "labels"] {
                try fm.moveItem(atPath: "\(root)/\(kind)\(split)/spleen_\(i).nii.gz", toPath: "\(root)/\(kind)\(split)/\(patient(i))_\(i).nii.gz")
            }
        }
        let json = """
        {"name": "Slices", "tensorImageSize": "2D", "modality": {"0": "CT"}, "labels": {"0": "background", "1": "spleen"},
         "numTraining": 6, "numTest": 2,
         "training": [\((0..<6).map { "{\"image\": \"./imagesTr/\(patient($0))_\($0).nii.gz\", \"label\": \"./labelsTr/\(patient($0))_\($0).nii.gz\"}" }.joined(separator: ", "))],
         "test": ["./imagesTs/pc_6.nii.gz", "./imagesTs/pc_7.nii.gz"]}
        """
        try Data(json.utf8).write(to: URL(fileURLWithPath: root + "/dataset.json"))
        return root
    }

    func run(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Fixtures.repoRoot.appendingPathComponent("scripts/patient-fold.sh").path] + args
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice; p.standardError = err
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func onePatientBecomesTheTestSetAndTheOldTestCasesTrain() throws {
        let dir = try Fixtures.tempDir("fold")
        defer { try? fm.removeItem(at: dir) }
        let root = try makeDataset(dir)
        let out = dir.appendingPathComponent("fold-pb").path
        let r = try run([root, "pb", out])
        #expect(r.status == 0, "\(r.stderr)")
        let ds = try MSDDataset.load(out)
        #expect(ds.training.map(\.id).sorted() == ["pa_0.nii.gz", "pa_1.nii.gz", "pa_2.nii.gz", "pc_6.nii.gz", "pc_7.nii.gz"])
        #expect(ds.test.map(\.id) == ["pb_3.nii.gz", "pb_4.nii.gz", "pb_5.nii.gz"])
        #expect(ds.test.allSatisfy { $0.label != nil })
        // The view reads the same voxels as the original files.
        for c in ds.training + ds.test {
            let (image, label) = try ds.read(c)
            let split = c.id.hasPrefix("pc") ? "Ts" : "Tr"
            let original = try Nifti.read("\(root)/images\(split)/\(c.id)")
            #expect(image.data == original.data)
            #expect(label != nil)
        }
    }

    @Test func anUnknownPatientIsRefusedAndNothingIsWritten() throws {
        let dir = try Fixtures.tempDir("fold")
        defer { try? fm.removeItem(at: dir) }
        let root = try makeDataset(dir)
        let out = dir.appendingPathComponent("fold-px").path
        let r = try run([root, "px", out])
        #expect(r.status == 1)
        #expect(r.stderr.contains("dataset.json") && r.stderr.contains("no training case of patient 'px'"))
        #expect(!fm.fileExists(atPath: out))
        #expect(try run([root, "pb"]).status == 2)
    }
}
