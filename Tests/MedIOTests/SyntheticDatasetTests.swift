import Foundation
@testable import MedIO
import Testing

@Suite("Synthetic MSD datasets")
struct SyntheticDatasetTests {
    @Test func writesMSDLayoutDeterministically() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        for out in [a, b] {
            try SyntheticDataset.write(to: out, kind: .liver, dims: 3, cases: 3, testCases: 2, seed: 4, shape: [32, 32, 16])
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + "/dataset.json"))) as? [String: Any]
        #expect(json?["numTraining"] as? Int == 3 && json?["numTest"] as? Int == 2)
        #expect((json?["labels"] as? [String: String]) == ["0": "background", "1": "liver", "2": "lesion"])
        #expect((json?["training"] as? [[String: String]])?.first == ["image": "./imagesTr/liver_0.nii.gz", "label": "./labelsTr/liver_0.nii.gz"])
        #expect((json?["test"] as? [String]) == ["./imagesTs/liver_3.nii.gz", "./imagesTs/liver_4.nii.gz"])
        for sub in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: a + "/" + sub).sorted()
            #expect(files.count == (sub.hasSuffix("Tr") ? 3 : 2), "\(sub)")
            for f in files {
                #expect(FileManager.default.contentsEqual(atPath: "\(a)/\(sub)/\(f)", andPath: "\(b)/\(sub)/\(f)"), "\(sub)/\(f) differs between runs")
            }
        }
        let img = try Nifti.readFile(a + "/imagesTr/liver_1.nii.gz"), lab = try Nifti.readFile(a + "/labelsTr/liver_1.nii.gz")
        #expect(img.datatype == .int16 && lab.datatype == .uint8)
        #expect(img.volume.affine == lab.volume.affine && img.volume.shape == [32, 32, 16])
    }

    @Test func rejectsBadArguments() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: MedIOError.self) { try SyntheticDataset.write(to: dir.path, kind: .spleen, dims: 4, cases: 1, testCases: 0, seed: 0) }
        #expect(throws: MedIOError.self) { try SyntheticDataset.write(to: dir.path, kind: .spleen, dims: 3, cases: 0, testCases: 0, seed: 0) }
    }
}
