import Foundation
import Testing
@testable import Training

@Suite("Data split")
struct DataSplitTests {
    let cases = (1...20).map { "case_\($0).nii.gz" }

    @Test func deterministicAndDisjoint() throws {
        let a = try DataSplit.make(training: cases, labeledTest: [], labeled: 4, validation: 3, testCount: 5, seed: 0)
        let b = try DataSplit.make(training: cases.reversed(), labeledTest: [], labeled: 4, validation: 3, testCount: 5, seed: 0)
        #expect(a == b, "order of the input list does not matter")
        let all = a.labeled + a.unlabeled + a.validation + a.test
        #expect(Set(all).count == 20 && all.count == 20)
        #expect(a.labeled.count == 4 && a.validation.count == 3 && a.test.count == 5 && a.unlabeled.count == 8)
        let c = try DataSplit.make(training: cases, labeledTest: [], labeled: 4, validation: 3, testCount: 5, seed: 1)
        #expect(c != a)
    }

    @Test func labeledTestSetIsUsedWhenPresent() throws {
        let s = try DataSplit.make(training: cases, labeledTest: ["t1", "t0"], labeled: 2, validation: 2, testCount: 5, seed: 0)
        #expect(s.test == ["t0", "t1"])
        #expect(s.unlabeled.count == 16)
    }

    @Test func tooFewCasesIsAnError() {
        #expect(throws: SplitError.self) { try DataSplit.make(training: cases, labeledTest: [], labeled: 15, validation: 5, testCount: 5, seed: 0) }
        #expect(throws: SplitError.self) { try DataSplit.make(training: cases, labeledTest: [], labeled: 0, validation: 0, seed: 0) }
    }

    @Test func saveAndLoadRoundTrip() throws {
        let s = try DataSplit.make(training: cases, labeledTest: [], labeled: 4, validation: 3, testCount: 5, seed: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("split-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try s.save(url)
        #expect(try DataSplit.load(url) == s)
        try Data("{\"seed\":0,\"labeled\":[\"a\"],\"unlabeled\":[\"a\"],\"validation\":[],\"test\":[]}".utf8).write(to: url)
        #expect(throws: SplitError.self) { try DataSplit.load(url) }
    }
}
