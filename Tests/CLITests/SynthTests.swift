import Foundation
import Testing

@Suite("semiseg synth")
struct SynthTests {
    @Test func writes2DDatasetThatInspectReads() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("ds").path
        let r = try CLI.run(["synth", "--out", out, "--cases", "4", "--test-cases", "2", "--seed", "7", "--kind", "liver", "--dims", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        for (sub, n) in [("imagesTr", 4), ("labelsTr", 4), ("imagesTs", 2), ("labelsTs", 2)] {
            #expect((try? FileManager.default.contentsOfDirectory(atPath: out + "/" + sub).count) == n)
        }
        let i = try CLI.run(["inspect", out + "/labelsTr/liver_0.nii.gz", "--json"])
        let j = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any]
        #expect(j?["shape"] as? [Int] == [128, 128, 1])
        #expect(j?["datatype"] as? String == "uint8")
        #expect((j?["max"] as? NSNumber)?.intValue == 2)
    }

    @Test func badArgumentsAreOneErrorLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["synth", "--out", dir.path + "/x", "--kind", "brain"])
        #expect(r.status == 1 && r.stderr == "error: \(dir.path)/x: unknown --kind brain (spleen or liver)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x"))
    }
}
