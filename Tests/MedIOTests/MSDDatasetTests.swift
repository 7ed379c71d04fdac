import Foundation
@testable import MedIO
import Testing

@Suite("MSD datasets")
struct MSDDatasetTests {
    static func makeDataset(_ dir: URL) throws -> String {
        let root = dir.appendingPathComponent("Task99_Test").path
        try SyntheticDataset.write(to: root, kind: .spleen, dims: 3, cases: 6, testCases: 2, seed: 1, shape: [24, 24, 8])
        return root
    }

    @Test func loadsLayoutAndSkipsResourceForks() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Self.makeDataset(dir)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: root + "/imagesTs/._spleen_7.nii.gz"))
        try FileManager.default.removeItem(atPath: root + "/labelsTs/spleen_7.nii.gz")
        let ds = try MSDDataset.open(root)
        #expect(ds.training.count == 6 && ds.test.count == 2)
        #expect(ds.labels == [0: "background", 1: "spleen"] && ds.modalities == ["CT"])
        #expect(ds.training[2].id == "spleen_2.nii.gz" && ds.training[2].label == root + "/labelsTr/spleen_2.nii.gz")
        #expect(ds.test[0].label == root + "/labelsTs/spleen_6.nii.gz" && ds.test[1].label == nil)
        let (img, lab) = try ds.read(ds.training[0])
        #expect(img.shape == [24, 24, 8] && lab?.shape == [24, 24, 8])
    }

    @Test func listsFoldersWithoutTrainingListAndNnUNetLabels() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Self.makeDataset(dir)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/imagesTr/._spleen_0.nii.gz"))
        let json = #"{"channel_names": {"0": "CT"}, "labels": {"background": 0, "spleen": 1}, "numTraining": 6, "file_ending": ".nii.gz"}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: root + "/dataset.json"))
        let ds = try MSDDataset.open(root)
        #expect(ds.training.map(\.id) == (0..<6).map { "spleen_\($0).nii.gz" })
        #expect(ds.test.count == 2 && ds.labels == [0: "background", 1: "spleen"])
    }

    /// Every problem in the dataset is reported in one run, each naming its file.
    @Test func reportsEveryProblem() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Self.makeDataset(dir)
        let fm = FileManager.default
        try fm.removeItem(atPath: root + "/labelsTr/spleen_0.nii.gz")                        // missing file
        var lab = try Nifti.read(root + "/labelsTr/spleen_1.nii.gz")
        lab.data[0] = 5
        try Nifti.write(lab, to: root + "/labelsTr/spleen_1.nii.gz", datatype: .uint8)      // undeclared label value
        let img2 = try Nifti.read(root + "/imagesTr/spleen_2.nii.gz")
        try Nifti.write(Volume(zeros: [24, 24, 7], geometry: img2.geometry), to: root + "/labelsTr/spleen_2.nii.gz", datatype: .uint8)
        var moved = try Nifti.read(root + "/labelsTr/spleen_3.nii.gz")
        moved.geometry = moved.geometry.scaled(by: [1, 1, 1], offset: [2, 0, 0])
        try Nifti.write(moved, to: root + "/labelsTr/spleen_3.nii.gz", datatype: .uint8)    // affine mismatch
        var nan = try Nifti.read(root + "/imagesTr/spleen_4.nii.gz")
        nan.data[10] = .nan
        nan.data[11] = .infinity
        try Nifti.write(nan, to: root + "/imagesTr/spleen_4.nii.gz", datatype: .float32)     // NaN/Inf voxels
        try Data(repeating: 0, count: 100).write(to: URL(fileURLWithPath: root + "/imagesTs/spleen_7.nii.gz")) // not gzip
        do {
            _ = try MSDDataset.open(root)
            Issue.record("validation passed")
        } catch let e as MSDValidationError {
            let lines = e.problems.map(\.description)
            #expect(e.problems.count == 6, "\(lines)")
            func has(_ file: String, _ words: String) -> Bool {
                e.problems.contains { $0.file.hasSuffix(file) && $0.problem.contains(words) }
            }
            #expect(has("labelsTr/spleen_0.nii.gz", "no such file"))
            #expect(has("labelsTr/spleen_1.nii.gz", "label values [5] not declared"))
            #expect(has("labelsTr/spleen_2.nii.gz", "shape [24, 24, 7] differs"))
            #expect(has("labelsTr/spleen_3.nii.gz", "affine differs"))
            #expect(has("imagesTr/spleen_4.nii.gz", "2 NaN/Inf voxels"))
            #expect(has("imagesTs/spleen_7.nii.gz", "not a gzip file"))
        }
    }

    @Test func structuralErrors() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: MedIOError(dir.path + "/dataset.json", "missing dataset.json")) { try MSDDataset.load(dir.path) }
        try Data("{not json".utf8).write(to: dir.appendingPathComponent("dataset.json"))
        #expect(throws: MedIOError.self) { try MSDDataset.load(dir.path) }
        try Data(#"{"training": []}"#.utf8).write(to: dir.appendingPathComponent("dataset.json"))
        #expect(throws: MedIOError(dir.path + "/dataset.json", "missing \"labels\"")) { try MSDDataset.load(dir.path) }
    }
}
